package dev.gatehouse.policies.guardrails;

/**
 * A folded copy of part of a text that phrase patterns are matched against, with the source span
 * of every character so a match can be reported where it was in the original.
 *
 * <p>{@link #words} keeps words: letters and digits folded by {@link Fold} (tags decoded to the
 * ASCII they mirror, invisible characters dropped, so {@code ig\u200Bnore} reads {@code ignore}),
 * an apostrophe between letters, {@code :} as a word of its own, and one space (or one newline,
 * when the run held a line break) for every run of anything else. Words that mix letters with the
 * digits of leetspeak ({@code 1gn0r3}) have those digits read as letters. Runs of four or more
 * one-letter words ({@code i g n o r e}, {@code i.g.n.o.r.e}) are joined into one word.
 *
 * <p>{@link #markup} keeps punctuation and drops white space, for chat-template tokens
 * ({@code < | im_start | >}).
 */
final class Skeleton {
  private static final int JOIN_RUN = 4;

  char[] chars;
  int[] from;
  int[] to;
  int length;

  private Skeleton(int capacity) {
    chars = new char[capacity];
    from = new int[capacity];
    to = new int[capacity];
  }

  /** The source index of skeleton character {@code i}. */
  int sourceStart(int i) {
    return from[i];
  }

  /** The source index just past skeleton character {@code i}. */
  int sourceEnd(int i) {
    return to[i];
  }

  String text() {
    return new String(chars, 0, length);
  }

  String substring(int start, int end) {
    return new String(chars, start, end - start);
  }

  private void add(char c, int start, int end) {
    chars[length] = c;
    from[length] = start;
    to[length] = end;
    length++;
  }

  /** The words of {@code text[start, end)} (see the class comment). */
  static Skeleton words(String text, int start, int end) {
    Skeleton s = new Skeleton(2 * (end - start) + 2); // a ':' can take two: its separator and itself
    char sep = 0; // pending separator: ' ' or '\n'
    int sepAt = start;
    int aposAt = -1;
    int wordStart = -1;
    int i = start;
    while (i < end) {
      int cp = text.codePointAt(i);
      int n = Character.charCount(cp);
      int tag = Fold.tagAscii(cp);
      if (tag >= 0) {
        cp = tag;
      } else if (Fold.invisible(cp)) {
        i += n;
        continue;
      }
      char c = Fold.letter(cp);
      if (c != 0) {
        if (wordStart >= 0 && aposAt >= 0) {
          s.add('\'', aposAt, aposAt + 1);
        } else if (wordStart < 0) {
          if (sep != 0 && s.length > 0) {
            s.add(sep, sepAt, sepAt + 1);
          }
          sep = 0;
          wordStart = s.length;
        }
        aposAt = -1;
        s.add(c, i, i + n);
      } else if (isApostrophe(cp) && wordStart >= 0 && aposAt < 0) {
        aposAt = i;
      } else {
        if (wordStart >= 0) {
          leet(s, wordStart);
          wordStart = -1;
        }
        aposAt = -1;
        boolean newline = cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
        if (sep == 0) {
          sepAt = i;
        }
        if (newline) {
          if (sep != '\n') {
            sepAt = i;
          }
          sep = '\n';
        } else if (sep == 0) {
          sep = ' ';
        }
        if (cp == ':' || cp == 0xFF1A) {
          if (s.length > 0) {
            s.add(sep, sepAt, sepAt + 1);
          }
          s.add(':', i, i + n);
          sep = ' ';
          sepAt = i;
        }
      }
      i += n;
    }
    if (wordStart >= 0) {
      leet(s, wordStart);
    }
    return joinSpelledOut(s);
  }

  /** Chat-template view of {@code text[start, end)}: folded letters, ASCII punctuation, no white space. */
  static Skeleton markup(String text, int start, int end) {
    Skeleton s = new Skeleton(end - start + 1);
    int i = start;
    while (i < end) {
      int cp = text.codePointAt(i);
      int n = Character.charCount(cp);
      int tag = Fold.tagAscii(cp);
      if (tag >= 0) {
        cp = tag;
      } else if (Fold.invisible(cp)) {
        i += n;
        continue;
      }
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        cp -= 0xFEE0; // fullwidth ASCII
      }
      if (!Character.isWhitespace(cp) && !Character.isSpaceChar(cp)) {
        char c = Fold.letter(cp);
        if (c == 0) {
          c = cp < 0x80 ? (char) cp : '\u0001';
        }
        s.add(c, i, i + n);
      }
      i += n;
    }
    return s;
  }

  private static boolean isApostrophe(int cp) {
    return cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BC || cp == 0xFF07;
  }

  /** A word that mixes letters with 0, 1, 3, 4, 5 or 7 has those read as o, i, e, a, s, t. */
  private static void leet(Skeleton s, int wordStart) {
    boolean letters = false;
    boolean digits = false;
    for (int k = wordStart; k < s.length; k++) {
      char c = s.chars[k];
      letters |= c >= 'a' && c <= 'z';
      digits |= "013457".indexOf(c) >= 0;
    }
    if (!letters || !digits) {
      return;
    }
    for (int k = wordStart; k < s.length; k++) {
      int d = "013457".indexOf(s.chars[k]);
      if (d >= 0) {
        s.chars[k] = "oieast".charAt(d);
      }
    }
  }

  /** Joins runs of {@value #JOIN_RUN} or more one-character words (separated by one separator each). */
  private static Skeleton joinSpelledOut(Skeleton s) {
    char[] c = s.chars;
    int n = s.length;
    // single[k]: c[k] is a word character that is a whole word on its own
    boolean any = false;
    boolean[] drop = null;
    int k = 0;
    while (k < n) {
      if (!single(c, n, k)) {
        k++;
        continue;
      }
      int runEnd = k; // index of the last single in the run
      int count = 1;
      while (runEnd + 2 < n && (c[runEnd + 1] == ' ' || c[runEnd + 1] == '\n') && single(c, n, runEnd + 2)) {
        runEnd += 2;
        count++;
      }
      if (count >= JOIN_RUN) {
        if (drop == null) {
          drop = new boolean[n];
        }
        for (int j = k + 1; j < runEnd; j += 2) {
          drop[j] = true;
        }
        any = true;
      }
      k = runEnd + 1;
    }
    if (!any) {
      return s;
    }
    Skeleton out = new Skeleton(n);
    for (int j = 0; j < n; j++) {
      if (!drop[j]) {
        out.add(c[j], s.from[j], s.to[j]);
      }
    }
    return out;
  }

  private static boolean single(char[] c, int n, int k) {
    return word(c[k]) && (k == 0 || !word(c[k - 1])) && (k + 1 == n || !word(c[k + 1]));
  }

  static boolean word(char c) {
    return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\'';
  }
}
