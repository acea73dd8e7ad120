package dev.gatehouse.activities.usage;

import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;

/**
 * The pages of a PDF given in base64, as far as its bytes say without parsing it: the page
 * objects ({@code /Type /Page}) its body shows. Read as a stream (the base64 is decoded in chunks,
 * nothing the size of the document is allocated), in time linear in its size. A PDF whose objects
 * sit in compressed object streams (PDF 1.5 and later may put them there) shows none: 0, and the
 * caller estimates by size.
 */
final class PdfPages {
  private static final byte[] TYPE = {'/', 'T', 'y', 'p', 'e'};
  private static final byte[] PAGE = {'/', 'P', 'a', 'g', 'e'};

  private PdfPages() {}

  /** The page objects in {@code base64} (line breaks allowed, a {@code data:} prefix not); 0 when it shows none or is not base64. */
  static long count(CharSequence base64) {
    long pages = 0;
    // Progress through "/Type", white space, "/Page", then a delimiter: 0-4 within /Type, 5 after
    // it, 6-9 within /Page, 10 when /Page is whole.
    int state = 0;
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Base64.getMimeDecoder().wrap(new Chars(base64))) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        for (int i = 0; i < n; i++) {
          byte b = buffer[i];
          if (state < 5) {
            state = b == TYPE[state] ? state + 1 : b == '/' ? 1 : 0;
          } else if (state == 5) {
            state = b == '/' ? 6 : whiteSpace(b) ? 5 : 0;
          } else if (state < 10) {
            state = b == PAGE[state - 5] ? state + 1 : b == '/' ? 1 : 0;
          } else {
            if (whiteSpace(b) || delimiter(b)) {
              pages++;
            }
            state = b == '/' ? 1 : 0;
          }
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      return 0; // not base64 after all
    }
    return state == 10 ? pages + 1 : pages;
  }

  private static boolean whiteSpace(byte b) {
    return b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == '\f' || b == 0;
  }

  private static boolean delimiter(byte b) {
    return b == '/' || b == '<' || b == '>' || b == '[' || b == ']' || b == '(' || b == ')' || b == '{' || b == '}' || b == '%';
  }

  /** The characters of base64 text as the bytes they are (anything else as a byte the decoder skips). */
  private static final class Chars extends InputStream {
    private final CharSequence text;
    private int pos;

    Chars(CharSequence text) {
      this.text = text;
    }

    @Override
    public int read() {
      if (pos >= text.length()) {
        return -1;
      }
      char c = text.charAt(pos++);
      return c < 128 ? c : ' ';
    }

    @Override
    public int read(byte[] into, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (pos >= text.length()) {
        return -1;
      }
      int n = Math.min(len, text.length() - pos);
      for (int i = 0; i < n; i++) {
        char c = text.charAt(pos++);
        into[off + i] = (byte) (c < 128 ? c : ' ');
      }
      return n;
    }
  }
}
