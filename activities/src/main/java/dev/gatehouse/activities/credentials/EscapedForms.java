package dev.gatehouse.activities.credentials;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Patterns that find a secret value written with its characters escaped. {@link #of}: as a JSON
 * escape, a backslash, {@code u} and the character's four hex digits (either case) for any
 * character, and {@code \/}, {@code \"}, {@code \\} for those three. An upstream's JSON answer may
 * escape what it echoes (PHP writes {@code /} as {@code \/}), and redaction that looks for the
 * value only as it is would miss it. {@link #percentOf}: percent-encoded, as an upstream that
 * quotes the key it refused in a URL or a form may write it, each character as it is or as the
 * {@code %XX} of its UTF-8 bytes (either case), a space also as {@code +}: encoders differ in
 * which characters they leave alone. Patterns are compiled once per value; past {@value #KEPT}
 * values (rotated secrets) a cache starts over.
 */
final class EscapedForms {
  static final int KEPT = 256;
  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();
  private static final Map<String, Pattern> PERCENT = new ConcurrentHashMap<>();

  private EscapedForms() {}

  static Pattern of(String value) {
    return cached(PATTERNS, value, EscapedForms::compile);
  }

  static Pattern percentOf(String value) {
    return cached(PERCENT, value, EscapedForms::compilePercent);
  }

  private static Pattern cached(Map<String, Pattern> cache, String value, java.util.function.Function<String, Pattern> compile) {
    Pattern known = cache.get(value);
    if (known != null) {
      return known;
    }
    if (cache.size() >= KEPT) {
      cache.clear();
    }
    return cache.computeIfAbsent(value, compile);
  }

  /** {@link #percentOf}'s pattern, compiled each time: for runs of a value, too many to keep. */
  static Pattern percentPattern(String value) {
    return compilePercent(value);
  }

  private static Pattern compilePercent(String value) {
    StringBuilder re = new StringBuilder();
    value.codePoints().forEach(cp -> {
      String c = new String(Character.toChars(cp));
      re.append("(?:").append(Pattern.quote(c)).append('|');
      for (byte b : c.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
        re.append('%');
        for (char h : String.format(Locale.ROOT, "%02x", b & 0xff).toCharArray()) {
          re.append(Character.isLetter(h) ? "[" + h + Character.toUpperCase(h) + "]" : String.valueOf(h));
        }
      }
      if (cp == ' ') {
        re.append("|\\+");
      }
      re.append(')');
    });
    return Pattern.compile(re.toString());
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
