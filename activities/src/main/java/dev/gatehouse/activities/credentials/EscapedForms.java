package dev.gatehouse.activities.credentials;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A pattern that finds a secret value written with any of its characters as a JSON escape: a
 * backslash, {@code u} and the character's four hex digits (either case) for any character, and
 * {@code \/}, {@code \"}, {@code \\} for those three. An upstream's JSON answer may escape what
 * it echoes (PHP writes {@code /} as {@code \/}), and redaction that looks for the value only as it
 * is would miss it. Patterns are compiled once per value; past {@value #KEPT} values (rotated
 * secrets) the cache starts over.
 */
final class EscapedForms {
  static final int KEPT = 256;
  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

  private EscapedForms() {}

  static Pattern of(String value) {
    Pattern known = PATTERNS.get(value);
    if (known != null) {
      return known;
    }
    if (PATTERNS.size() >= KEPT) {
      PATTERNS.clear();
    }
    return PATTERNS.computeIfAbsent(value, EscapedForms::compile);
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
