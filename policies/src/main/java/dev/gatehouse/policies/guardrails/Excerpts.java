package dev.gatehouse.policies.guardrails;

/**
 * Makes what a finding may show of the content safe to record: printable ASCII only (anything else
 * becomes {@code ?}), at most {@value #MAX_EXCERPT} characters. A trace then never carries hidden
 * characters, control codes or more than a glimpse of what was found.
 */
public final class Excerpts {
  public static final int MAX_EXCERPT = 40;
  public static final int MAX_PATH = 256;

  private Excerpts() {}

  /** Null for null; otherwise printable ASCII, cut to {@value #MAX_EXCERPT} characters (ending in "..." when cut). */
  public static String sanitize(CharSequence s) {
    return s == null ? null : clip(s, MAX_EXCERPT);
  }

  /** At most {@code max} characters, all printable ASCII. */
  static boolean isPrintable(String s, int max) {
    if (s.length() > max) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < 0x20 || s.charAt(i) > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** Printable ASCII, at most {@code max} characters. */
  static String clip(CharSequence s, int max) {
    int n = s.length();
    boolean cut = n > max;
    int keep = cut ? max - 3 : n;
    StringBuilder b = new StringBuilder(Math.min(n, max));
    for (int i = 0; i < keep; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c <= 0x7e ? c : '?');
    }
    if (cut) {
      b.append("...");
    }
    return b.toString();
  }

  /** {@code U+202E} for a code point. */
  static String codePoint(int cp) {
    return String.format("U+%04X", cp);
  }
}
