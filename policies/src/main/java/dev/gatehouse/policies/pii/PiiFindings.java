package dev.gatehouse.policies.pii;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a scan found, as counts by label ({@code EMAIL}, {@code CARD}, a custom pattern's name):
 * never the text that matched, nor where it was, so findings can go into audit records, traces and
 * metrics as they are.
 */
public record PiiFindings(Map<String, Integer> counts) {
  public static final PiiFindings NONE = new PiiFindings(Map.of());

  public PiiFindings {
    TreeMap<String, Integer> copy = new TreeMap<>();
    counts.forEach((label, n) -> {
      if (n < 0) {
        throw new IllegalArgumentException("a count is not negative: " + label + "=" + n);
      }
      if (n > 0) {
        copy.put(label, n);
      }
    });
    counts = Collections.unmodifiableSortedMap(copy);
  }

  public static PiiFindings of(List<PiiMatch> matches) {
    if (matches.isEmpty()) {
      return NONE;
    }
    Map<String, Integer> counts = new TreeMap<>();
    for (PiiMatch m : matches) {
      counts.merge(m.label(), 1, Integer::sum);
    }
    return new PiiFindings(counts);
  }

  public PiiFindings plus(PiiFindings other) {
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    Map<String, Integer> sum = new TreeMap<>(counts);
    other.counts.forEach((label, n) -> sum.merge(label, n, Integer::sum));
    return new PiiFindings(sum);
  }

  public boolean isEmpty() {
    return counts.isEmpty();
  }

  public int total() {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** How many matches had this label ({@code EMAIL}, a custom pattern's name); 0 for none. */
  public int count(String label) {
    return counts.getOrDefault(label, 0);
  }

  /** The counts by kind: every custom pattern's matches together under {@link PiiKind#CUSTOM}. */
  public Map<PiiKind, Integer> byKind() {
    Map<PiiKind, Integer> out = new EnumMap<>(PiiKind.class);
    counts.forEach((label, n) -> {
      PiiKind k = PiiKind.ofLabel(label);
      out.merge(k == null ? PiiKind.CUSTOM : k, n, Integer::sum);
    });
    return Collections.unmodifiableMap(out);
  }

  /** {@code 1 CARD, 2 EMAIL}, or {@code none}. */
  @Override
  public String toString() {
    if (isEmpty()) {
      return "none";
    }
    return counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
  }
}
