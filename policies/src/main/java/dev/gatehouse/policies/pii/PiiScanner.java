package dev.gatehouse.policies.pii;

import dev.gatehouse.policies.text.Lookalikes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Finds personal data and secrets in text with a set of {@link PiiDetector}s, and says which of
 * their matches stand when they overlap.
 *
 * <p><b>Precedence.</b> Every detector scans the whole text on its own; then the matches are taken
 * left to right: the one that starts first wins, of those that start at the same place the longest,
 * and of equally long ones the one whose kind comes first in {@link #PRECEDENCE} (credentials,
 * custom patterns, e-mail, IBAN, card, SSN, phone, IP). A match that overlaps one already taken is
 * dropped. So the result never overlaps, and {@code [EMAIL]} is never cut in two by a phone number
 * inside the address.
 *
 * <p><b>Bounds.</b> One pass of a detector's expression sees at most {@link #WINDOW} characters
 * (plus what a stream holds back). Longer text is scanned window by window through the same
 * machinery as a stream ({@link StreamingRedactor}): what is undecided at a window's end is carried
 * into the next, so the result is the same as one pass over the whole text, at a cost linear in
 * its length. Thread-safe: a scanner holds only compiled patterns.
 */
public final class PiiScanner {
  /** The most characters one pass of an expression is given; longer text is scanned in windows. */
  public static final int WINDOW = 1 << 16;
  /**
   * Characters kept before the undecided part of a stream, for lookbehind and {@code \b}: no
   * detector looks further back.
   */
  static final int CONTEXT = 64;
  /** Whose match wins when two start at the same place and are as long. */
  public static final List<PiiKind> PRECEDENCE =
      List.of(PiiKind.CREDENTIAL, PiiKind.CUSTOM, PiiKind.EMAIL, PiiKind.IBAN, PiiKind.CARD, PiiKind.US_SSN, PiiKind.PHONE, PiiKind.IP);

  private static final Comparator<Ranked> ORDER =
      Comparator.<Ranked>comparingInt(r -> r.match.start())
          .thenComparing(Comparator.<Ranked>comparingInt(r -> r.match.length()).reversed())
          .thenComparingInt(r -> r.rank);

  private record Ranked(PiiMatch match, int rank) {}

  private final List<PiiDetector> detectors;
  private final int maxHoldback;

  private PiiScanner(List<PiiDetector> detectors) {
    List<PiiDetector> sorted = new ArrayList<>(detectors);
    sorted.sort(Comparator.comparingInt(d -> PRECEDENCE.indexOf(d.kind())));
    this.detectors = List.copyOf(sorted);
    int longest = 0;
    for (PiiDetector d : detectors) {
      longest = Math.max(longest, d.maxSpan());
    }
    // Undecided text starts within the longest span of the end; a final match across that start
    // can push it back once more.
    this.maxHoldback = 2 * longest;
  }

  /**
   * A scanner with the built-in detectors of {@code kinds} and the given custom patterns (made
   * with {@link PiiDetector#custom}). {@link PiiKind#CUSTOM} is not a kind to list: custom
   * patterns apply when there are some.
   */
  public static PiiScanner of(Set<PiiKind> kinds, List<PiiDetector> custom) {
    if (kinds.contains(PiiKind.CUSTOM)) {
      throw new IllegalArgumentException("custom patterns are given as patterns, not as a kind");
    }
    List<PiiDetector> all = new ArrayList<>();
    for (PiiKind k : PiiKind.values()) {
      if (kinds.contains(k)) {
        all.addAll(PiiDetector.builtIn(k));
      }
    }
    for (PiiDetector d : custom) {
      if (d.kind() != PiiKind.CUSTOM) {
        throw new IllegalArgumentException(d + " is not a custom pattern");
      }
      if (all.stream().anyMatch(o -> o.label().equals(d.label()))) {
        throw new IllegalArgumentException("two custom patterns are named " + d.label());
      }
      all.add(d);
    }
    return new PiiScanner(all);
  }

  /** A scanner with every built-in detector and no custom pattern. */
  public static PiiScanner allBuiltIn() {
    return of(EnumSet.complementOf(EnumSet.of(PiiKind.CUSTOM)), List.of());
  }

  /** The detectors, in the order of {@link #PRECEDENCE}. */
  public List<PiiDetector> detectors() {
    return detectors;
  }

  /**
   * The most characters a {@link StreamingRedactor} of this scanner holds back: twice the longest
   * span of its detectors (about 35k characters with the private-key detector, 1.3k without
   * credentials). Past it the stream decides what it holds as if the text ended there.
   */
  public int maxHoldback() {
    return maxHoldback;
  }

  /**
   * The matches in {@code text}, in order, none overlapping. The detectors read it with its
   * lookalikes folded ({@link Lookalikes}: full-width and other scripts' digits, Unicode spaces
   * and dashes), which keeps every span where it is.
   */
  public List<PiiMatch> scan(CharSequence given) {
    CharSequence text = Lookalikes.folded(given);
    if (text.length() <= WINDOW) {
      return scanWhole(text);
    }
    Incremental inc = new Incremental(this, maxHoldback);
    List<PiiMatch> out = new ArrayList<>();
    long offset = 0;
    for (int i = 0; i < text.length(); i += WINDOW) {
      offset = collect(inc.push(text.subSequence(i, Math.min(text.length(), i + WINDOW))), offset, out);
    }
    collect(inc.finish(), offset, out);
    return out;
  }

  private static long collect(Incremental.Step step, long offset, List<PiiMatch> out) {
    for (PiiMatch m : step.matches()) {
      out.add(m.shift(offset));
    }
    return offset + step.text().length();
  }

  /** One pass over the whole text, however long: what {@link #scan} must equal. */
  List<PiiMatch> scanWhole(CharSequence text) {
    List<List<PiiMatch>> found = new ArrayList<>(detectors.size());
    String whole = text.toString(); // once, for every detector's check of what it needs
    for (PiiDetector d : detectors) {
      if (!d.mayMatch(whole)) {
        found.add(List.of());
        continue;
      }
      List<PiiMatch> l = new ArrayList<>();
      d.scan(text, 0, text.length(), true, l);
      found.add(l);
    }
    return merge(found, text.length());
  }

  /**
   * The matches that stand, of those found by each detector (in the order of {@link #detectors})
   * that end by {@code cut}: by the precedence rule above.
   */
  static List<PiiMatch> merge(List<List<PiiMatch>> found, int cut) {
    List<Ranked> all = new ArrayList<>();
    for (int rank = 0; rank < found.size(); rank++) {
      for (PiiMatch m : found.get(rank)) {
        if (m.end() <= cut) {
          all.add(new Ranked(m, rank));
        }
      }
    }
    if (all.isEmpty()) {
      return List.of();
    }
    all.sort(ORDER);
    List<PiiMatch> out = new ArrayList<>();
    int end = Integer.MIN_VALUE;
    for (Ranked r : all) {
      if (r.match.start() >= end) {
        out.add(r.match);
        end = r.match.end();
      }
    }
    return out;
  }
}
