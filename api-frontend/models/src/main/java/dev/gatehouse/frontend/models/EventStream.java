package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.model.StreamSink;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Arrays;

/**
 * A streamed model call's answer: {@link #open} makes the response 200 {@code text/event-stream}
 * (no caching, no proxy buffering); each event is encoded once into one write to the response's
 * buffer, and {@link #flush} sends what was written (the invoker flushes whenever it has relayed
 * all the provider sent so far, so the client sees each chunk when the provider sends it, and
 * events that arrived together leave in one write). A payload is written as one {@code data:}
 * line per line of its text, so it cannot end its event early or forge fields; an event name with
 * a line break or NUL is refused (as {@code SseWriter} does for the other faces). A write or flush
 * that fails (the client has gone) throws, and the invoker cancels the upstream request. Used by
 * the request's thread only.
 */
final class EventStream implements StreamSink {
  private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't', ':', ' '};
  private static final byte[] DATA = {'d', 'a', 't', 'a', ':', ' '};

  private final HttpServletResponse response;
  private ServletOutputStream out;
  private volatile boolean opened;
  /** One event, encoded; reused for the next. */
  private byte[] buf = new byte[512];
  private int len;

  EventStream(HttpServletResponse response) {
    this.response = response;
  }

  @Override
  public void open() throws IOException {
    if (opened) {
      return;
    }
    response.setStatus(200);
    response.setContentType("text/event-stream");
    response.setCharacterEncoding("UTF-8");
    response.setHeader("Cache-Control", "no-cache");
    response.setHeader("X-Accel-Buffering", "no");
    out = response.getOutputStream();
    opened = true;
  }

  @Override
  public void event(String name, String data) throws IOException {
    if (name != null && hasBreak(name)) {
      // An event name that cannot be sent: the stream cannot go on.
      throw new IOException("the event could not be written", new IllegalArgumentException("an SSE event name cannot hold a line break or NUL"));
    }
    open();
    len = 0;
    if (name != null) {
      put(EVENT);
      utf8(name, 0, name.length());
      put('\n');
    }
    String text = data == null ? "" : data;
    int from = 0;
    while (true) {
      int end = nextLineEnd(text, from);
      put(DATA);
      utf8(text, from, end < 0 ? text.length() : end);
      put('\n');
      if (end < 0) {
        break;
      }
      from = text.charAt(end) == '\r' && end + 1 < text.length() && text.charAt(end + 1) == '\n' ? end + 2 : end + 1;
    }
    put('\n');
    try {
      out.write(buf, 0, len);
    } catch (IllegalStateException e) {
      // A response Jetty has closed: the stream cannot go on.
      throw new IOException("the event could not be written", e);
    }
  }

  @Override
  public void flush() throws IOException {
    if (!opened) {
      return;
    }
    try {
      out.flush();
    } catch (IllegalStateException e) {
      throw new IOException("the stream could not be flushed", e);
    }
  }

  /** True once the status line and headers are set: a failure now can only end the stream. */
  boolean opened() {
    return opened || response.isCommitted();
  }

  private void room(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }

  private void put(byte[] bytes) {
    room(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
  }

  private void put(char ascii) {
    room(1);
    buf[len++] = (byte) ascii;
  }

  /** {@code s[from, to)} in UTF-8, as {@link String#getBytes} writes it (a lone surrogate as {@code ?}). */
  private void utf8(String s, int from, int to) {
    room((to - from) * 3);
    byte[] b = buf;
    int n = len;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        b[n++] = (byte) c;
      } else if (c < 0x800) {
        b[n++] = (byte) (0xC0 | (c >> 6));
        b[n++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, s.charAt(++i));
          b[n++] = (byte) (0xF0 | (cp >> 18));
          b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
          b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
          b[n++] = (byte) (0x80 | (cp & 0x3F));
        } else {
          b[n++] = '?';
        }
      } else {
        b[n++] = (byte) (0xE0 | (c >> 12));
        b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[n++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    len = n;
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

  private static boolean hasBreak(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r' || c == '\0') {
        return true;
      }
    }
    return false;
  }
}
