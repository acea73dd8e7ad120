package dev.gatehouse.policies.guardrails;

/**
 * Finds invisible characters that carry or disguise text:
 *
 * <ul>
 *   <li>Unicode tag characters (U+E0000 to U+E007F), which mirror ASCII and are read by models but
 *       shown by nothing ("ASCII smuggling"); the excerpt is what they decode to. An emoji flag's
 *       tag sequence (black flag, two to six tag letters or digits, cancel tag, as in the flag of
 *       England) is not reported.
 *   <li>Bidirectional controls: the embeddings and overrides U+202A to U+202E and the isolates
 *       U+2066 to U+2069, which make text show in an order other than the one it is read in.
 *   <li>Zero-width characters (U+200B to U+200D, U+2060, U+FEFF) and invisible operators
 *       (U+2061 to U+2064) inside a word: between two letters or digits of which at least one is
 *       Latin, Greek, Cyrillic or an ASCII digit. Between letters of scripts that use them (the
 *       zero-width non-joiner in Persian, the joiner in Indic scripts, the zero-width space in
 *       Thai), in emoji sequences, and at a word's edge (a BOM at the start) they are not reported.
 *   <li>Runs of two or more variation selectors (U+FE00 to U+FE0F, U+E0100 to U+E01EF), which can
 *       encode bytes, and a single supplementary selector that does not follow an ideograph. One
 *       selector after an emoji or an ideograph is ordinary.
 * </ul>
 *
 * <p>Each run of one class is one finding; redaction removes the run. Not covered: other
 * invisible or blank characters (U+2800 braille blank, U+3164 Hangul filler, the bidi marks
 * U+200E and U+200F), white space and control characters used to hide text (many spaces or
 * newlines), and text hidden by markup (HTML comments, white-on-white), which is visible to
 * anything that reads the source.
 */
public final class HiddenUnicodeInspector implements Inspector {
  private static final int TAG = 1;
  private static final int BIDI = 2;
  private static final int ZERO_WIDTH = 3;
  private static final int SELECTOR = 4;
  /** How far past a run of other hidden characters a word's neighbouring letter is looked for. */
  private static final int NEIGHBOUR_SCAN = 32;

  @Override
  public FindingKind kind() {
    return FindingKind.HIDDEN_UNICODE;
  }

  @Override
  public void inspect(String text, int limit, FindingSink sink) {
    int i = 0;
    while (i < limit) {
      int cp = text.codePointAt(i);
      int cls = classOf(cp);
      if (cls == 0) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      int count = 0;
      int end = i;
      while (end < limit) {
        int c = text.codePointAt(end);
        if (classOf(c) != cls || end + Character.charCount(c) > limit) {
          break;
        }
        end += Character.charCount(c);
        count++;
      }
      if (end == start) { // a supplementary character cut by the limit
        break;
      }
      switch (cls) {
        case TAG -> {
          if (!emojiFlag(text, start, end)) {
            sink.report(FindingKind.HIDDEN_UNICODE, start, end,
                count + " Unicode tag character" + (count == 1 ? "" : "s") + " (invisible text; excerpt: decoded)", decode(text, start, end));
          }
        }
        case BIDI -> sink.report(FindingKind.HIDDEN_UNICODE, start, end,
            count + " bidirectional control character" + (count == 1 ? "" : "s"), Excerpts.codePoint(cp));
        case ZERO_WIDTH -> {
          if (insideWord(text, start, end, limit)) {
            sink.report(FindingKind.HIDDEN_UNICODE, start, end,
                count + " zero-width character" + (count == 1 ? "" : "s") + " inside a word", Excerpts.codePoint(cp));
          }
        }
        default -> {
          if (count >= 2 || cp >= 0xE0100 && !afterIdeograph(text, start)) {
            sink.report(FindingKind.HIDDEN_UNICODE, start, end,
                count + " variation selector" + (count == 1 ? "" : "s") + " (can encode data)", Excerpts.codePoint(cp));
          }
        }
      }
      i = end;
    }
  }

  private static int classOf(int cp) {
    if (cp >= 0xE0000 && cp <= 0xE007F) {
      return TAG;
    }
    if (cp >= 0x202A && cp <= 0x202E || cp >= 0x2066 && cp <= 0x2069) {
      return BIDI;
    }
    if (cp >= 0x200B && cp <= 0x200D || cp >= 0x2060 && cp <= 0x2064 || cp == 0xFEFF) {
      return ZERO_WIDTH;
    }
    if (cp >= 0xFE00 && cp <= 0xFE0F || cp >= 0xE0100 && cp <= 0xE01EF) {
      return SELECTOR;
    }
    return 0;
  }

  /** Black flag U+1F3F4, then 2 to 6 tag digits or small letters, then the cancel tag U+E007F. */
  private static boolean emojiFlag(String text, int start, int end) {
    if (start < 2 || text.codePointAt(start - 2) != 0x1F3F4) {
      return false;
    }
    int letters = 0;
    int i = start;
    while (i < end) {
      int cp = text.codePointAt(i);
      i += 2;
      if (cp == 0xE007F) {
        return i == end && letters >= 2 && letters <= 6;
      }
      if (!(cp >= 0xE0030 && cp <= 0xE0039 || cp >= 0xE0061 && cp <= 0xE007A)) {
        return false;
      }
      letters++;
    }
    return false;
  }

  private static String decode(String text, int start, int end) {
    StringBuilder b = new StringBuilder();
    for (int i = start; i < end && b.length() <= Excerpts.MAX_EXCERPT; i += 2) {
      int ascii = Fold.tagAscii(text.codePointAt(i));
      if (ascii >= 0) {
        b.append((char) ascii);
      }
    }
    return b.toString();
  }

  private static boolean insideWord(String text, int start, int end, int limit) {
    int before = neighbour(text, start, -1, limit);
    int after = neighbour(text, end, +1, limit);
    if (before < 0 || after < 0 || !Character.isLetterOrDigit(before) || !Character.isLetterOrDigit(after)) {
      return false;
    }
    return western(before) || western(after);
  }

  /** The nearest code point before {@code at} (dir -1) or from {@code at} on (dir +1), past other hidden characters; -1 if none. */
  private static int neighbour(String text, int at, int dir, int limit) {
    int i = at;
    for (int steps = 0; steps < NEIGHBOUR_SCAN; steps++) {
      if (dir < 0 ? i <= 0 : i >= limit) {
        return -1;
      }
      int cp = dir < 0 ? text.codePointBefore(i) : text.codePointAt(i);
      if (classOf(cp) == 0) {
        return cp;
      }
      i += dir * Character.charCount(cp);
    }
    return -1;
  }

  private static boolean western(int cp) {
    if (cp < 0x80) {
      return true;
    }
    Character.UnicodeScript s = Character.UnicodeScript.of(cp);
    return s == Character.UnicodeScript.LATIN || s == Character.UnicodeScript.GREEK || s == Character.UnicodeScript.CYRILLIC;
  }

  private static boolean afterIdeograph(String text, int at) {
    return at > 0 && Character.isIdeographic(text.codePointBefore(at));
  }
}
