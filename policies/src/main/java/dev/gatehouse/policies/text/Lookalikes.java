package dev.gatehouse.policies.text;

/**
 * A text as the PII detectors read it: each character that a reader (a person, a model) takes for
 * an ASCII digit, letter, sign, space or hyphen read as that character, one for one, so the text
 * keeps its length and a match found in the folded text covers the same span of the text itself.
 * A model reads {@code ４１１１ １１１１ １１１１ １１１１} (full-width), {@code ٤١١١} (Arabic-Indic
 * digits), {@code 536–22–1234} (en dashes) or a card number grouped with no-break spaces as the
 * values they spell; the detectors, whose patterns are ASCII, did not.
 *
 * <ul>
 *   <li>the full-width forms of ASCII ({@code U+FF01} to {@code U+FF5E}): their ASCII character;
 *   <li>a decimal digit of any script (Unicode category Nd, in the Basic Multilingual Plane): its
 *       ASCII digit;
 *   <li>a space separator (category Zs: no-break, thin, figure, ideographic spaces...): a space;
 *   <li>the dashes {@code U+2010} to {@code U+2015}, the minus sign {@code U+2212} and the small
 *       hyphen-minus {@code U+FE63}: a hyphen-minus;
 *   <li>a JSON escape ({@code \n}, {@code \t}, {@code \"}, a six-character one...): spaces, as
 *       many as it has characters; what it stands for is between the values around it.
 * </ul>
 *
 * <p>Not folded, since either changes the text's length: characters outside the Basic
 * Multilingual Plane (mathematical digits), and characters that read as nothing (zero-width
 * ones), nor encodings such as {@code %40} or {@code &#64;}.
 */
public final class Lookalikes {
  private Lookalikes() {}

  /** {@code text} folded; {@code text} itself when nothing in it folds. */
  public static CharSequence folded(CharSequence text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        int escape = escape(text, i);
        if (escape > 0) {
          if (out == null) {
            out = new StringBuilder(text);
          }
          for (int k = 0; k < escape; k++) {
            out.setCharAt(i + k, ' ');
          }
          i += escape - 1;
        }
        continue;
      }
      if (c < 0x80) {
        continue;
      }
      char f = fold(c);
      if (f != c) {
        if (out == null) {
          out = new StringBuilder(text);
        }
        out.setCharAt(i, f);
      }
    }
    return out == null ? text : out;
  }

  /**
   * The length of the JSON escape at {@code i} ({@code \n}, {@code \"}, a six-character one...),
   * 0 when there is none. A text that holds JSON as it was written (a failed call's error body)
   * has them between the values: {@code "a\n4111 1111 1111 1111"} is a line break and a card to
   * a JSON reader, and the detectors read {@code n4111} as no card. An escape reads as spaces.
   */
  private static int escape(CharSequence text, int i) {
    if (i + 1 >= text.length()) {
      return 0;
    }
    char e = text.charAt(i + 1);
    if (e == 'u') {
      if (i + 5 >= text.length()) {
        return 0;
      }
      for (int k = i + 2; k < i + 6; k++) {
        if (Character.digit(text.charAt(k), 16) < 0) {
          return 0;
        }
      }
      return 6;
    }
    return "\"\\/bfnrt".indexOf(e) >= 0 ? 2 : 0;
  }

  /** What {@code c} reads as. */
  static char fold(char c) {
    if (c < 0x80) {
      return c;
    }
    if (c >= 0xFF01 && c <= 0xFF5E) {
      return (char) (c - 0xFEE0);
    }
    if (c >= 0x2010 && c <= 0x2015 || c == 0x2212 || c == 0xFE63) {
      return '-';
    }
    int type = Character.getType(c);
    if (type == Character.SPACE_SEPARATOR) {
      return ' ';
    }
    if (type == Character.DECIMAL_DIGIT_NUMBER) {
      int digit = Character.digit(c, 10);
      if (digit >= 0) {
        return (char) ('0' + digit);
      }
    }
    return c;
  }
}
