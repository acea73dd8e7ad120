package dev.gatehouse.policies.pii;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The labelled corpus, {@code src/test/resources/pii/corpus.tsv}: one case a line,
 * {@code kind<TAB>POS|NEG<TAB>text}, {@code #} for comments. In a POS line every expected match of
 * the line's kind is written {@code [[like this]]}; a NEG line expects no match of any kind. In the
 * text, {@code \n} stands for a line break; {@code [[[x]]]} is a bracket of the text around a mark.
 */
final class Corpus {
  /** The custom pattern the corpus's EMPLOYEE_ID lines are about. */
  static final PiiDetector EMPLOYEE_ID = PiiDetector.custom("EMPLOYEE_ID", "\\bEMP-[0-9]{6}\\b");

  record Span(String label, int start, int end) {}

  record Case(int line, String kind, boolean positive, String text, List<Span> expected) {}

  private Corpus() {}

  static PiiScanner scanner() {
    return PiiScanner.of(java.util.EnumSet.complementOf(java.util.EnumSet.of(PiiKind.CUSTOM)), List.of(EMPLOYEE_ID));
  }

  static List<Case> load() {
    try (InputStream in = Corpus.class.getResourceAsStream("/pii/corpus.tsv")) {
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      List<Case> cases = new ArrayList<>();
      String[] lines = all.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i];
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] cols = line.split("\t", 3);
        if (cols.length != 3 || !(cols[1].equals("POS") || cols[1].equals("NEG"))) {
          throw new IllegalStateException("corpus line " + (i + 1) + " is not kind<TAB>POS|NEG<TAB>text");
        }
        cases.add(parse(i + 1, cols[0], cols[1].equals("POS"), cols[2].replace("\\n", "\n")));
      }
      return cases;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Case parse(int line, String kind, boolean positive, String marked) {
    StringBuilder text = new StringBuilder();
    List<Span> spans = new ArrayList<>();
    int i = 0;
    while (i < marked.length()) {
      int open = marked.indexOf("[[", i);
      if (open < 0) {
        text.append(marked, i, marked.length());
        break;
      }
      while (open + 2 < marked.length() && marked.charAt(open + 2) == '[') {
        open++; // [[[x]]]: a bracket of the text, then the mark
      }
      int close = marked.indexOf("]]", open + 2);
      if (close < 0) {
        throw new IllegalStateException("corpus line " + line + ": [[ without ]]");
      }
      text.append(marked, i, open);
      int start = text.length();
      text.append(marked, open + 2, close);
      spans.add(new Span(kind, start, text.length()));
      i = close + 2;
    }
    if (positive == spans.isEmpty()) {
      throw new IllegalStateException("corpus line " + line + ": a POS line marks its matches, a NEG line none");
    }
    return new Case(line, kind, positive, text.toString(), List.copyOf(spans));
  }
}
