package dev.gatehouse.policies.text;

/**
 * A text as it reads with the JSON escapes it holds decoded. A tool's answer is often JSON written
 * into a string (an MCP result's {@code text}), and JSON writers escape what they like: Go's writes
 * {@code <} as {@code \\u003c}, others write {@code @} as {@code \\u0040}. PII and guardrail entries
 * read such a text in this form, so {@code alice\\u0040example.com} is the address it is to whoever
 * parses it.
 *
 * <p>Only {@code \\uXXXX} escapes of characters that mean the same decoded are decoded: not a quote,
 * a backslash or a control character, which would change the JSON the text holds, and not half of
 * a surrogate pair without its other half. So a text holding JSON still holds the same JSON once
 * decoded, and a redaction made in the decoded form leaves it valid.
 */
public final class JsonEscapes {
  private JsonEscapes() {}

  /** {@code text} with its decodable {@code \\uXXXX} escapes decoded; {@code text} itself when it has none. */
  public static String unescaped(String text) {
    int first = text.indexOf("\\u");
    if (first < 0) {
      return text;
    }
    StringBuilder out = null;
    int copied = 0;
    int i = first;
    while (i >= 0 && i + 6 <= text.length()) {
      if (escapedBackslash(text, i)) {
        i = text.indexOf("\\u", i + 2);
        continue;
      }
      int c = hex(text, i + 2);
      int length = 6;
      String decoded = null;
      if (c >= 0 && Character.isHighSurrogate((char) c) && i + 12 <= text.length() && text.startsWith("\\u", i + 6)) {
        int low = hex(text, i + 8);
        if (low >= 0 && Character.isLowSurrogate((char) low)) {
          decoded = new String(new char[] {(char) c, (char) low});
          length = 12;
        }
      } else if (c >= 0 && decodable((char) c)) {
        decoded = String.valueOf((char) c);
      }
      if (decoded != null) {
        if (out == null) {
          out = new StringBuilder(text.length());
        }
        out.append(text, copied, i).append(decoded);
        copied = i + length;
      }
      i = text.indexOf("\\u", i + (decoded != null ? length : 2));
    }
    return out == null ? text : out.append(text, copied, text.length()).toString();
  }

  /** Whether the backslash at {@code at} is itself escaped (an odd number of backslashes before it). */
  private static boolean escapedBackslash(String text, int at) {
    int n = 0;
    for (int j = at - 1; j >= 0 && text.charAt(j) == '\\'; j--) {
      n++;
    }
    return n % 2 == 1;
  }

  private static boolean decodable(char c) {
    return c != '"' && c != '\\' && !Character.isISOControl(c) && !Character.isSurrogate(c);
  }

  /** The four hex digits at {@code at} as a char's value; -1 when they are not four hex digits. */
  private static int hex(String text, int at) {
    if (at + 4 > text.length()) {
      return -1;
    }
    int v = 0;
    for (int j = at; j < at + 4; j++) {
      int d = Character.digit(text.charAt(j), 16);
      if (d < 0) {
        return -1;
      }
      v = v * 16 + d;
    }
    return v;
  }
}
