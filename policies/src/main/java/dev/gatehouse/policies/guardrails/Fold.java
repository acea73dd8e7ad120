package dev.gatehouse.policies.guardrails;

import java.text.Normalizer;

/**
 * Folds look-alike characters onto the ASCII letters and digits they imitate, so a phrase is found
 * however it is dressed: case, accents and other combining marks ({@code ïgnörë}), fullwidth forms
 * ({@code ｉｇｎｏｒｅ}), mathematical and circled letters ({@code 𝐢𝐠𝐧𝐨𝐫𝐞}, {@code ⓘ}), and the Cyrillic,
 * Greek and Latin confusables that pass for Latin letters ({@code іgnоrе} with Cyrillic і, о, е).
 * Not covered: other scripts' look-alikes (Cherokee, Armenian beyond {@code օ}), letters built from
 * symbols ({@code |} for l), and look-alike punctuation other than fullwidth forms.
 *
 * <p>Tables are built once (about 14,000 entries); a lookup is an array read.
 */
final class Fold {
  /** Folded letter or digit for code points below 0x3000 (0: none). */
  private static final char[] LOW = new char[0x3000];
  /** The same for the Mathematical Alphanumeric Symbols block, U+1D400 to U+1D7FF. */
  private static final char[] MATH = new char[0x400];

  static {
    for (int cp = 0; cp < LOW.length; cp++) {
      LOW[cp] = decompose(cp);
    }
    for (int i = 0; i < MATH.length; i++) {
      MATH[i] = decompose(0x1D400 + i);
    }
    // Confusables NFKD leaves alone: Cyrillic and Greek letters (both cases) that pass for Latin.
    confusable("аa вb гr дd еe ёe зz һh іi ïi јj кk ӏl мm нh оo пn рp сc тt уy хx ѕs ԁd ԛq ԝw ьb ҽe үy");
    confusable("АA ВB ЕE ЗZ КK МM НH ОO РP СC ТT ХX УY ЅS ІI ЈJ ԚQ ԜW");
    confusable("αa βb γy εe ηn ιi κk νv οo ρp τt υu χx ωw ϲc ϳj");
    confusable("ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX");
    confusable("ıi ɩi ɑa ɡg ʏy ɪi ᴀa ᴄc ᴅd ᴇe ᴊj ᴋk ᴍm ᴏo ᴘp ᴛt ᴜu ᴠv ᴡw ᴢz օo");
  }

  private Fold() {}

  /** The ASCII letter (lower case) or digit {@code cp} stands for, or 0. */
  static char letter(int cp) {
    if (cp < 0x80) {
      if (cp >= 'a' && cp <= 'z' || cp >= '0' && cp <= '9') {
        return (char) cp;
      }
      return cp >= 'A' && cp <= 'Z' ? (char) (cp + 32) : 0;
    }
    if (cp < LOW.length) {
      return LOW[cp];
    }
    if (cp >= 0xFF10 && cp <= 0xFF5A) { // fullwidth digits and letters
      return letter(cp - 0xFEE0);
    }
    if (cp >= 0x1D400 && cp < 0x1D800) {
      return MATH[cp - 0x1D400];
    }
    return 0;
  }

  /**
   * Characters that take no room when a text is shown and so may be put between the letters of a
   * word: format characters (zero-width, bidi, tags, soft hyphen, BOM), combining marks and
   * variation selectors.
   */
  static boolean invisible(int cp) {
    int type = Character.getType(cp);
    return type == Character.FORMAT
        || type == Character.NON_SPACING_MARK
        || type == Character.ENCLOSING_MARK
        || cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0; // Hangul fillers
  }

  /** A Unicode tag character that mirrors printable ASCII (U+E0020 to U+E007E), decoded; or -1. */
  static int tagAscii(int cp) {
    return cp >= 0xE0020 && cp <= 0xE007E ? cp - 0xE0000 : -1;
  }

  private static void confusable(String pairs) {
    for (String pair : pairs.split(" ")) {
      LOW[pair.charAt(0)] = Character.toLowerCase(pair.charAt(1));
    }
  }

  /** NFKD without combining marks, when that leaves exactly one ASCII letter or digit. */
  private static char decompose(int cp) {
    if (cp < 0x80) {
      return letter(cp);
    }
    int type = Character.getType(cp);
    if (!Character.isLetterOrDigit(cp) && type != Character.OTHER_NUMBER && type != Character.LETTER_NUMBER
        && type != Character.OTHER_SYMBOL) {
      return 0;
    }
    String d = Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFKD);
    char out = 0;
    for (int i = 0; i < d.length(); i++) {
      char c = d.charAt(i);
      if (Character.getType(c) == Character.NON_SPACING_MARK) {
        continue;
      }
      if (out != 0) {
        return 0;
      }
      out = c;
    }
    return out < 0x80 ? letter(out) : 0;
  }
}
