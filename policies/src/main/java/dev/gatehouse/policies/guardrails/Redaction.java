package dev.gatehouse.policies.guardrails;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Replaces the spans of a string's findings by their kinds' {@link FindingKind#replacement()}.
 * Spans that overlap are merged into one, replaced by the text of the widest of them (or, when
 * that text is empty, as for hidden characters, of the first one that has text): a zero-width
 * character inside a removed link leaves one {@code [LINK REMOVED]}.
 */
final class Redaction {
  private final List<Span> spans = new ArrayList<>();

  private record Span(int start, int end, FindingKind kind) {}

  void add(int start, int end, FindingKind kind) {
    if (end > start) {
      spans.add(new Span(start, end, kind));
    }
  }

  boolean isEmpty() {
    return spans.isEmpty();
  }

  void clear() {
    spans.clear();
  }

  String apply(String s) {
    if (spans.isEmpty()) {
      return s;
    }
    spans.sort(Comparator.comparingInt(Span::start).thenComparing(Comparator.comparingInt(Span::end).reversed()));
    StringBuilder out = new StringBuilder(s.length());
    int copied = 0;
    int i = 0;
    while (i < spans.size()) {
      Span first = spans.get(i);
      int end = first.end;
      Span widest = first;
      String text = first.kind.replacement();
      int j = i + 1;
      while (j < spans.size() && spans.get(j).start < end) {
        Span next = spans.get(j);
        if (next.end - next.start > widest.end - widest.start) {
          widest = next;
        }
        if (text.isEmpty()) {
          text = next.kind.replacement();
        }
        end = Math.max(end, next.end);
        j++;
      }
      if (!widest.kind.replacement().isEmpty()) {
        text = widest.kind.replacement();
      }
      out.append(s, copied, first.start).append(text);
      copied = end;
      i = j;
    }
    out.append(s, copied, s.length());
    spans.clear();
    return out.toString();
  }
}
