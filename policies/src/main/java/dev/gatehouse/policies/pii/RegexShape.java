package dev.gatehouse.policies.pii;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Reads the source of a custom pattern for the constructs {@link PiiDetector#custom} refuses:
 * lookaround, back-references, {@code \G}, and a repeated group that has an unbounded repetition
 * inside ({@code (a+)+}, {@code (.*a){1,20}}). A light reading, not a parser: it follows escapes, {@code \Q...\E}, character
 * classes (nested too) and groups, which is all it needs; the pattern has compiled already.
 */
final class RegexShape {
  private RegexShape() {}

  /** Why the pattern is refused, or null when none of the refused constructs is in it. */
  static String unsafe(String p) {
    // One frame per open group: does anything inside it repeat without bound?
    Deque<boolean[]> groups = new ArrayDeque<>();
    groups.push(new boolean[1]);
    int n = p.length();
    int i = 0;
    while (i < n) {
      char c = p.charAt(i);
      if (c == '\\') {
        if (i + 1 >= n) {
          return null;
        }
        char e = p.charAt(i + 1);
        if (e >= '1' && e <= '9' || e == 'k') {
          return "back-references are not supported";
        }
        if (e == 'G') {
          return "\\G is not supported";
        }
        if (e == 'Q') {
          int close = p.indexOf("\\E", i + 2);
          i = close < 0 ? n : close + 2;
        } else {
          i += 2;
        }
        i = quantifier(p, i, groups.peek());
        continue;
      }
      if (c == '[') {
        i = quantifier(p, skipClass(p, i), groups.peek());
        continue;
      }
      if (c == '(') {
        if (p.startsWith("(?=", i) || p.startsWith("(?!", i) || p.startsWith("(?<=", i) || p.startsWith("(?<!", i)) {
          return "lookahead and lookbehind are not supported";
        }
        groups.push(new boolean[1]);
        i++;
        continue;
      }
      if (c == ')') {
        boolean inner = groups.size() > 1 ? groups.pop()[0] : false;
        int after = i + 1;
        if (inner && repeats(p, after)) {
          return "a group with an unbounded repetition inside is itself repeated (catastrophic backtracking)";
        }
        boolean[] parent = groups.peek();
        parent[0] |= inner;
        i = quantifier(p, after, parent);
        continue;
      }
      i = quantifier(p, i + 1, groups.peek());
    }
    return null;
  }

  /** Skips a quantifier at {@code i}, if any, marking the frame when it has no upper bound. */
  private static int quantifier(String p, int i, boolean[] frame) {
    if (i >= p.length()) {
      return i;
    }
    char c = p.charAt(i);
    int end;
    if (c == '*' || c == '+') {
      frame[0] = true;
      end = i + 1;
    } else if (c == '?') {
      end = i + 1;
    } else if (c == '{') {
      int close = p.indexOf('}', i);
      if (close < 0) {
        return i + 1;
      }
      String body = p.substring(i + 1, close);
      if (body.endsWith(",")) {
        frame[0] = true;
      }
      end = close + 1;
    } else {
      return i;
    }
    // lazy or possessive suffix
    if (end < p.length() && (p.charAt(end) == '?' || p.charAt(end) == '+')) {
      end++;
    }
    return end;
  }

  /** Whether a quantifier at {@code i} lets what it follows occur more than once. */
  private static boolean repeats(String p, int i) {
    if (i >= p.length()) {
      return false;
    }
    char c = p.charAt(i);
    if (c == '*' || c == '+') {
      return true;
    }
    if (c == '{') {
      int close = p.indexOf('}', i);
      if (close < 0) {
        return false;
      }
      String body = p.substring(i + 1, close);
      int comma = body.indexOf(',');
      String max = comma < 0 ? body : body.substring(comma + 1);
      return max.isEmpty() || Integer.parseInt(max.trim()) > 1;
    }
    return false;
  }

  /** The index just after the character class that opens at {@code i}. */
  private static int skipClass(String p, int i) {
    int n = p.length();
    int depth = 0;
    int k = i;
    while (k < n) {
      char c = p.charAt(k);
      if (c == '\\') {
        k += 2;
        continue;
      }
      if (c == '[') {
        depth++;
        k++;
        // a ']' (or '^]') right after the opening bracket is a literal
        if (k < n && p.charAt(k) == '^') {
          k++;
        }
        if (k < n && p.charAt(k) == ']') {
          k++;
        }
        continue;
      }
      if (c == ']') {
        depth--;
        k++;
        if (depth == 0) {
          return k;
        }
        continue;
      }
      k++;
    }
    return n;
  }
}
