package dev.gatehouse.frontend.core.sse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Server-Sent Events encoded into one reusable buffer, so an event (or several) leaves in one
 * write: the framing every streaming face shares ({@link SseWriter}, the model gateway's streams).
 * A payload is encoded as one {@code data:} line per line of its text, so it cannot end its event
 * early or forge fields; an id, event name or comment with a line break or NUL is refused before
 * anything is encoded. Text is UTF-8, a lone surrogate as its JSON escape ({@code \}{@code
 * ud83d}): every payload Gatehouse sends is JSON, where a lone surrogate can only stand inside a
 * string and the escape means the same to a reader (a provider that split an emoji between two
 * events had each half reach the client as {@code ?}, as {@link String#getBytes} writes it).
 * Not thread-safe: one per stream, used by one thread at a time.
 */
public final class SseEncoder {
  private static final byte[] ID = {'i', 'd', ':', ' '};
  private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't', ':', ' '};
  private static final byte[] DATA = {'d', 'a', 't', 'a', ':', ' '};
  private static final byte[] COMMENT = {':', ' '};

  private final CharsetEncoder utf8 =
      StandardCharsets.UTF_8
          .newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private byte[] buf = new byte[512];
  private int len;

  /** Drops what was encoded. */
  public SseEncoder reset() {
    len = 0;
    return this;
  }

  /**
   * Appends one event; {@code id} and {@code name} may be null (no such field), null data is an
   * empty {@code data:} line.
   *
   * @throws IllegalArgumentException an id or event name with a line break or NUL (nothing is appended)
   */
  public SseEncoder event(String id, String name, String data) {
    check("id", id);
    check("event", name);
    if (id != null) {
      line(ID, id, 0, id.length());
    }
    if (name != null) {
      line(EVENT, name, 0, name.length());
    }
    String text = data == null ? "" : data;
    int from = 0;
    while (true) {
      int end = nextLineEnd(text, from);
      line(DATA, text, from, end < 0 ? text.length() : end);
      if (end < 0) {
        break;
      }
      from = text.charAt(end) == '\r' && end + 1 < text.length() && text.charAt(end + 1) == '\n' ? end + 2 : end + 1;
    }
    put((byte) '\n');
    return this;
  }

  /**
   * Appends a comment (clients ignore it; for keep-alives) as its own block.
   *
   * @throws IllegalArgumentException a text with a line break or NUL (nothing is appended)
   */
  public SseEncoder comment(String text) {
    check("comment", text);
    String t = text == null ? "" : text;
    line(COMMENT, t, 0, t.length());
    put((byte) '\n');
    return this;
  }

  /** Writes what is encoded, in one write. */
  public void writeTo(OutputStream out) throws IOException {
    out.write(buf, 0, len);
  }

  /** True when {@code s} holds a line break or NUL, which no SSE field but data may carry. */
  public static boolean hasBreak(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r' || c == '\0') {
        return true;
      }
    }
    return false;
  }

  private static void check(String field, String value) {
    if (value != null && hasBreak(value)) {
      throw new IllegalArgumentException("an SSE " + field + " cannot hold a line break or NUL");
    }
  }

  private static int nextLineEnd(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r') {
        return i;
      }
    }
    return -1;
  }

  private void line(byte[] field, String s, int from, int to) {
    room(field.length);
    System.arraycopy(field, 0, buf, len, field.length);
    len += field.length;
    if (to > from) {
      room(to - from); // enough for ASCII; grown while the encoder overflows otherwise
      CharBuffer chars = CharBuffer.wrap(s, from, to);
      utf8.reset();
      while (true) {
        ByteBuffer into = ByteBuffer.wrap(buf, len, buf.length - len);
        CoderResult r = utf8.encode(chars, into, true);
        if (r.isMalformed()) {
          len = into.position();
          for (int i = 0; i < r.length(); i++) {
            escape(chars.get()); // a lone surrogate (UTF-8 has no bytes for it)
          }
          continue;
        }
        if (!r.isOverflow()) {
          r = utf8.flush(into);
        }
        len = into.position();
        if (!r.isOverflow()) {
          break;
        }
        room(Math.max(16, chars.remaining() * 3));
      }
    }
    put((byte) '\n');
  }

  /** {@code c} as the six characters of its JSON escape ({@link LoneSurrogateEscapes#escaped}). */
  private void escape(char c) {
    room(6);
    for (char e : LoneSurrogateEscapes.escaped(c)) {
      buf[len++] = (byte) e;
    }
  }

  private void put(byte b) {
    room(1);
    buf[len++] = b;
  }

  private void room(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }
}
