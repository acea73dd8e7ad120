package dev.gatehouse.activities.credentials;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A pattern that finds a secret value written with any of its characters as a JSON escape: a
 * backslash, {@code u} and the character's four hex digits (either case) for any character, and
 * {@code \/}, {@code \"}, {@code \\} for those three. An upstream's JSON answer may escape what it echoes (PHP writes {@code /} as {@code \/}),
 * and redaction that looks for the value only as it is would miss it. Patterns are kept for the
 * 256 values used last.
 */
final class EscapedForms {
  private static final int KEPT = 256;
  private static final Map<String, Pattern> PATTERNS =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Pattern> eldest) {
          return size() > KEPT;
        }
      };

  private EscapedForms() {}

  static Pattern of(String value) {
    synchronized (PATTERNS) {
      return PATTERNS.computeIfAbsent(value, EscapedForms::compile);
    }
  }

  private static Pattern compile(String value) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      re.append("(?:").append(Pattern.quote(String.valueOf(c))).append("|\\\\u");
      for (char h : String.format(Locale.ROOT, "%04x", (int) c).toCharArray()) {
        re.append(Character.isLetter(h) ? "[" + h + Character.toUpperCase(h) + "]" : String.valueOf(h));
      }
      if (c == '/' || c == '"' || c == '\\') {
        re.append("|\\\\").append(Pattern.quote(String.valueOf(c)));
      }
      re.append(')');
    }
    return Pattern.compile(re.toString());
  }
}
