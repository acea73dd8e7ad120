package dev.gatehouse.activities.text;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The characters a log, a terminal or a console acts on rather than shows: control characters
 * (line breaks, terminal escapes), format characters (bidi overrides, zero-width ones) and line
 * and paragraph separators. Text from outside (an upstream's error, a model's arguments, a name a
 * client chose) that Gatehouse writes where an operator reads it loses them, or shows them escaped.
 */
public final class Unprintables {
  private static final Pattern ONE = Pattern.compile("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]");
  private static final Pattern RUNS = Pattern.compile("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]+");

  private Unprintables() {}

  /** Whether {@code text} has one. */
  public static boolean in(String text) {
    return text != null && ONE.matcher(text).find();
  }

  /** {@code text} with each run of them a space: a line of its own stays one line. */
  public static String spaced(String text) {
    return text == null ? null : RUNS.matcher(text).replaceAll(" ");
  }

  /** {@code text} with each of them written as {@code \\uXXXX}, so a reader sees that it is there. */
  public static String escaped(String text) {
    if (!in(text)) {
      return text;
    }
    return ONE.matcher(text).replaceAll(m -> Matcher.quoteReplacement(String.format(Locale.ROOT, "\\u%04X", (int) m.group().charAt(0))));
  }
}
