package dev.gatehouse.policies.access;

import java.util.List;

/** Name patterns: a name, or a name with {@code *} standing for any run of characters. */
public final class Patterns {
  private Patterns() {}

  public static boolean matches(String pattern, String name) {
    return matches(pattern, 0, name, 0);
  }

  public static boolean anyMatches(List<String> patterns, String name) {
    for (String p : patterns) {
      if (matches(p, name)) {
        return true;
      }
    }
    return false;
  }

  /** Iterative glob match (no regex, so a pattern cannot be made to backtrack for long). */
  private static boolean matches(String p, int pi, String s, int si) {
    int star = -1;
    int mark = 0;
    while (si < s.length()) {
      if (pi < p.length() && p.charAt(pi) != '*' && p.charAt(pi) == s.charAt(si)) {
        pi++;
        si++;
      } else if (pi < p.length() && p.charAt(pi) == '*') {
        star = pi++;
        mark = si;
      } else if (star >= 0) {
        pi = star + 1;
        si = ++mark;
      } else {
        return false;
      }
    }
    while (pi < p.length() && p.charAt(pi) == '*') {
      pi++;
    }
    return pi == p.length();
  }
}
