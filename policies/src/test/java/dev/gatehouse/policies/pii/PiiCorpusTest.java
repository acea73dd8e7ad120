package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Precision and recall of each detector over the labelled corpus. A match counts only when its
 * span and label are exactly the expected ones (a phone number found without its last digit is a
 * false positive and a false negative). Writes the table to {@code target/pii-report.md}; the
 * table in docs/pii.md is a copy of it. The floors are what the detectors achieve today, so a
 * change that makes one worse fails here.
 */
class PiiCorpusTest {
  static final class Tally {
    int positives;
    int negatives;
    int tp;
    int fp;
    int fn;

    double precision() {
      return tp + fp == 0 ? 1.0 : (double) tp / (tp + fp);
    }

    double recall() {
      return tp + fn == 0 ? 1.0 : (double) tp / (tp + fn);
    }
  }

  private static final List<String> LABELS = List.of("EMAIL", "PHONE", "CARD", "IBAN", "SSN", "IP", "CREDENTIAL", "EMPLOYEE_ID");

  /** label -> {precision floor, recall floor} */
  private static final Map<String, double[]> FLOORS =
      Map.of(
          "EMAIL", new double[] {0.95, 0.95},
          "PHONE", new double[] {0.95, 0.90},
          "CARD", new double[] {0.95, 0.95},
          "IBAN", new double[] {0.95, 0.95},
          "SSN", new double[] {0.95, 0.90},
          "IP", new double[] {0.90, 0.95},
          "CREDENTIAL", new double[] {0.95, 0.95},
          "EMPLOYEE_ID", new double[] {0.95, 0.95});

  @Test
  void precisionAndRecallPerDetector() throws Exception {
    List<Corpus.Case> cases = Corpus.load();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(400);
    PiiScanner scanner = Corpus.scanner();
    Map<String, Tally> tallies = new LinkedHashMap<>();
    LABELS.forEach(l -> tallies.put(l, new Tally()));
    List<String> misses = new ArrayList<>();
    for (Corpus.Case c : cases) {
      Tally own = tallies.get(c.kind());
      if (own != null) {
        if (c.positive()) {
          own.positives++;
        } else {
          own.negatives++;
        }
      }
      Set<Corpus.Span> expected = new HashSet<>(c.expected());
      Set<Corpus.Span> found = new HashSet<>();
      for (PiiMatch m : scanner.scan(c.text())) {
        found.add(new Corpus.Span(m.label(), m.start(), m.end()));
      }
      for (Corpus.Span s : found) {
        Tally t = tallies.get(s.label());
        if (expected.contains(s)) {
          t.tp++;
        } else {
          t.fp++;
          misses.add("line " + c.line() + ": false " + s.label() + " at [" + s.start() + ", " + s.end() + ")");
        }
      }
      for (Corpus.Span s : expected) {
        if (!found.contains(s)) {
          tallies.get(s.label()).fn++;
          misses.add("line " + c.line() + ": missed " + s.label() + " at [" + s.start() + ", " + s.end() + ")");
        }
      }
    }
    String report = report(cases.size(), tallies, misses);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "pii-report.md"), report, StandardCharsets.UTF_8);
    System.out.println(report);

    for (String label : LABELS) {
      Tally t = tallies.get(label);
      assertThat(t.positives).as("POS lines of %s", label).isGreaterThanOrEqualTo(label.equals("EMPLOYEE_ID") ? 10 : 20);
      assertThat(t.negatives).as("NEG lines of %s", label).isGreaterThanOrEqualTo(label.equals("EMPLOYEE_ID") ? 5 : 20);
      assertThat(t.precision()).as("precision of %s", label).isGreaterThanOrEqualTo(FLOORS.get(label)[0]);
      assertThat(t.recall()).as("recall of %s", label).isGreaterThanOrEqualTo(FLOORS.get(label)[1]);
    }
  }

  private static String report(int lines, Map<String, Tally> tallies, List<String> misses) {
    StringBuilder b = new StringBuilder();
    b.append("Corpus: ").append(lines).append(" lines (policies/src/test/resources/pii/corpus.tsv).\n\n");
    b.append("| kind | POS lines | NEG lines | TP | FP | FN | precision | recall |\n");
    b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    tallies.forEach((label, t) -> b.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %.3f | %.3f |%n",
        label, t.positives, t.negatives, t.tp, t.fp, t.fn, t.precision(), t.recall())));
    b.append("\nMisses (line numbers of corpus.tsv):\n\n");
    if (misses.isEmpty()) {
      b.append("- none\n");
    }
    misses.forEach(m -> b.append("- ").append(m).append('\n'));
    return b.toString();
  }
}
