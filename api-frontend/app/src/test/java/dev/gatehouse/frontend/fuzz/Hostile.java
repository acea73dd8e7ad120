package dev.gatehouse.frontend.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Hostile values, as jqwik arbitraries: strings with NUL, lone surrogates, direction overrides
 * and great length; numbers past every range; JSON nested past any parser's depth; ids and path
 * segments with dot segments and encoded slashes. None of them contains what the suite looks for
 * in an answer (a Java name, a stack frame), so whatever of that an answer holds came from the
 * server, not from the request echoed back.
 */
final class Hostile {
  private Hostile() {}

  /** What an answer must never hold: Java package or type names, exception names, stack frames. */
  static final Pattern LEAK =
      Pattern.compile("java\\.|javax\\.|jakarta\\.|dev\\.gatehouse\\.|io\\.temporal\\.|org\\.(eclipse|glassfish|postgresql|jdbi)\\.|"
          + "com\\.fasterxml|Exception|[A-Za-z0-9]\\$[A-Z][A-Za-z]|\\bat [\\w.$]+\\(");

  static boolean leaks(String s) {
    return LEAK.matcher(s).find();
  }

  // ---- strings

  private static final List<String> ODD =
      List.of(
          "",
          " ",
          "\t\r\n",
          "\u202Eevil\u202C",
          "\u200B\u200D\uFEFF",
          "\u0301\u0301\u0301",
          "e\u0301",
          "\uD83D\uDE00",
          "日本語",
          "\u05D0\u05D1\u05D2",
          "\u0001\u0002\u001F\u007F",
          "\u2028\u2029",
          "\uFFFE\uFFFF",
          "' OR '1'='1",
          "'; DROP TABLE tools; --",
          "../../etc/passwd",
          "..",
          ".",
          "%00",
          "%2F",
          "a/b",
          "a\\b",
          "${input}",
          "${steps.a.output}",
          "{{x}}",
          "<script>alert(1)</script>",
          "1e400",
          "NaN",
          "-0",
          "null",
          "true",
          "demo.weather",
          "t.add",
          "t.echo",
          "alpha",
          "gk_not_a_key");

  private static final List<String> LONE_SURROGATES = List.of("\uD800", "\uDFFF", "x\uDBFFy", "\uDC00\uD800");
  private static final List<String> NULS = List.of("\u0000", "t.add\u0000", "a\u0000b", "\u0000\u0000\u0000");

  /** Strings a client might send in any text field: odd, long, or plain. */
  static Arbitrary<String> strings() {
    List<Arbitrary<String>> choices = new ArrayList<>();
    choices.add(Arbitraries.of(ODD));
    choices.add(Arbitraries.of(LONE_SURROGATES));
    choices.add(Arbitraries.strings().withCharRange('\u0020', '\u007E').ofMaxLength(40).filter(s -> !leaks(s)));
    choices.add(Arbitraries.strings().all().ofMaxLength(12).filter(s -> !leaks(s)));
    choices.add(Arbitraries.integers().between(1_000, 200_000).map(n -> "a".repeat(n)));
    choices.add(Arbitraries.of(NULS));
    return Arbitraries.oneOf(choices);
  }

  /** Names and ids: short odd strings (never one of the fixtures' own names, which the suite must not delete). */
  static Arbitrary<String> names() {
    return Arbitraries.oneOf(
            Arbitraries.of(ODD),
            Arbitraries.of(LONE_SURROGATES),
            Arbitraries.strings().withCharRange('\u0020', '\u007E').ofMinLength(1).ofMaxLength(30),
            Arbitraries.strings().all().ofMinLength(1).ofMaxLength(8),
            Arbitraries.integers().between(200, 5_000).map(n -> "n".repeat(n)))
        .filter(s -> !leaks(s) && !FIXTURES.contains(s));
  }

  private static final List<String> FIXTURES = List.of("alpha", "beta", "platform", "agent-a", "agent-b");

  // ---- numbers and literals (as JSON text)

  static Arbitrary<String> numbers() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            "1e400", "-1e400", "1E+999999999", "-0", "0.0", "-0.0", "18446744073709551616", "9223372036854775808",
            "-9223372036854775809", "2147483648", "4.9e-325", "123456789012345678901234567890123456789",
            "0." + "0".repeat(500) + "1", "1" + "0".repeat(2000)),
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.doubles().map(String::valueOf).filter(s -> !s.contains("Infinity") && !s.contains("NaN")));
  }

  /** Not JSON at all, or JSON that a lax parser would take: NaN, hex, leading zeros, comments, single quotes. */
  static Arbitrary<String> almostJson() {
    return Arbitraries.of(
        "NaN", "Infinity", "-Infinity", "0x10", "01", "+1", ".5", "1.", "'single'", "{'a':1}", "{a:1}", "[1,]", "{\"a\":1,}",
        "/* c */ {}", "{\"a\":1} // c", "{\"a\":1}{\"b\":2}", "{\"a\"}", "{", "}", "[", "]", "\"unterminated", "\"\\x41\"",
        "\"\\u12\"", "\"\\uD800\"", "\"\\uDFFF\\uD800\"", "tru", "nul", "\u0000", "\uFEFF{}", "{\"a\":\"\u0000\"}", "");
  }

  /** Any JSON value, hostile where it can be, nested at most {@code depth} deep. */
  static Arbitrary<String> jsonValues() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, strings().map(Hostile::quote)),
        net.jqwik.api.Tuple.of(3, numbers()),
        net.jqwik.api.Tuple.of(2, Arbitraries.of("true", "false", "null", "[]", "{}", "[null]", "{\"\":null}")),
        net.jqwik.api.Tuple.of(1, deepNesting()),
        net.jqwik.api.Tuple.of(1, strings().list().ofMaxSize(5).map(l -> "[" + String.join(",", l.stream().map(Hostile::quote).toList()) + "]")),
        net.jqwik.api.Tuple.of(1, Combinators.combine(names(), strings()).as((k, v) -> "{" + quote(k) + ":" + quote(v) + "}")),
        net.jqwik.api.Tuple.of(1, Arbitraries.of("{\"a\":1,\"a\":2}", "{\"__proto__\":{}}", "{\"constructor\":{\"prototype\":{}}}")));
  }

  /** Arrays or objects nested 50 to 5,000 deep (past Jackson's limit of 1,000 at the top). */
  static Arbitrary<String> deepNesting() {
    return Combinators.combine(Arbitraries.integers().between(50, 5_000), Arbitraries.of("[", "{\"a\":"))
        .as((n, open) -> open.repeat(n) + "1" + (open.equals("[") ? "]" : "}").repeat(n));
  }

  /** Durations as text, some absurd. */
  static Arbitrary<String> durations() {
    return Arbitraries.of(
        "soon", "-1s", "0s", "1ms", "PT1H", "P1D", "1e9s", "1.5s", "s", "", "10 seconds", "9223372036854775807ns",
        "999999999d", "99999999999h", "P999999999D", "9223372036854775807s");
  }

  /** Instants as text, some past what PostgreSQL stores. */
  static Arbitrary<String> timestamps() {
    return Arbitraries.of(
        "yesterday", "2020-01-01T00:00:00Z", "2020-13-45T25:61:61Z", "0", "-1", "", "2030-01-01", "2030-01-01T00:00:00+25:00",
        "+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "+10000-01-01T00:00:00Z", "4713-01-01T00:00:00Z");
  }

  // ---- paths and query values (as they go on the request line)

  /** A path segment: percent-encoded odd text, or raw odd bytes a client should not send. */
  static Arbitrary<String> segments() {
    List<String> raw = new ArrayList<>(List.of("..", ".", "%2e%2e", "%2E", "..%2F..%2Fetc", "%2F", "%5C", "a%2Fb", "%25", "%", "%zz", "%C0%AF",
        "%ED%A0%80", "%FF", "%E2%80%AE", ";a=b", "a;b", "~", "*", "%20", "+", "x".repeat(3000), "task_", "task_%00", "%00"));
    return Arbitraries.oneOf(Arbitraries.of(raw), names().map(Hostile::percentEncode));
  }

  static Arbitrary<String> queryValues() {
    List<String> raw = new ArrayList<>(List.of("", "-1", "0", "1", "201", "99999999999999999999", "abc", "RUNNING", "DONE", "%25%25", "%FF", "%C0%AF",
        "%E2%80%AE", "a&b=c", "bm90LWEtY3Vyc29y", "10s", "forever", "1e400", "x".repeat(5000), "%00", "alpha%00", "tool.call%00"));
    return Arbitraries.oneOf(Arbitraries.of(raw), names().map(Hostile::percentEncode));
  }

  // ---- encoding

  /** A JSON string literal of {@code s}, escaping what JSON requires (lone surrogates as {@code \\u} escapes). */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || Character.isSurrogate(c) && !validPair(s, i)) {
        b.append(String.format("\\u%04x", (int) c));
      } else if (Character.isHighSurrogate(c)) {
        b.append(c).append(s.charAt(++i));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private static boolean validPair(String s, int i) {
    char c = s.charAt(i);
    return Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
  }

  static String percentEncode(String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c));
      }
    }
    return b.toString();
  }

  /** Bytes that are not UTF-8, to splice into a body. */
  static Arbitrary<byte[]> invalidUtf8() {
    return Arbitraries.of(
        new byte[] {(byte) 0xC0, (byte) 0xAF},
        new byte[] {(byte) 0xFF, (byte) 0xFE},
        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        new byte[] {(byte) 0xE2, (byte) 0x82},
        new byte[] {(byte) 0x80});
  }
}
