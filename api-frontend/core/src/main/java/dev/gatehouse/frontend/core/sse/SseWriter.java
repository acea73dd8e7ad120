package dev.gatehouse.frontend.core.sse;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Server-Sent Events on one servlet response, for every face that streams (MCP tool calls today;
 * task events, the model gateway's streams and A2A next). Events are written whole, one at a time,
 * from whichever thread produces them, and flushed at once. A payload is written as one {@code
 * data:} line per line of its text, so it cannot end its event early or forge fields; an id or an
 * event name with a line break or NUL is refused.
 *
 * <p>An event may carry an id. A face that can resume a stream numbers its events and, when the
 * client reconnects, reads the last one it received with {@link #lastEventId}.
 */
public final class SseWriter {
  /** The longest {@code Last-Event-ID} a face is asked to make sense of. */
  public static final int MAX_EVENT_ID = 256;

  private static final byte[] ID = "id: ".getBytes(StandardCharsets.UTF_8);
  private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.UTF_8);
  private static final byte[] COMMENT = ": ".getBytes(StandardCharsets.UTF_8);
  private static final byte[] NEWLINE = {'\n'};

  private final HttpServletResponse response;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean open;

  public SseWriter(HttpServletResponse response) {
    this.response = response;
  }

  /** Makes the response an event stream (status 200, {@code text/event-stream}, no caching); idempotent. */
  public void open() {
    lock.lock();
    try {
      if (!open) {
        open = true;
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
      }
    } finally {
      lock.unlock();
    }
  }

  public boolean isOpen() {
    lock.lock();
    try {
      return open;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Writes one event and flushes it; opens the stream first if needed. {@code id} and {@code
   * event} may be null (no such field).
   *
   * @throws IOException the client went away
   * @throws IllegalArgumentException an id or event name with a line break or NUL
   */
  public void event(String id, String event, String data) throws IOException {
    checkField("id", id);
    checkField("event", event);
    lock.lock();
    try {
      open();
      ServletOutputStream out = response.getOutputStream();
      if (id != null) {
        line(out, ID, id);
      }
      if (event != null) {
        line(out, EVENT, event);
      }
      int from = 0;
      String text = data == null ? "" : data;
      while (true) {
        int end = nextLineEnd(text, from);
        line(out, DATA, text.substring(from, end < 0 ? text.length() : end));
        if (end < 0) {
          break;
        }
        from = text.charAt(end) == '\r' && end + 1 < text.length() && text.charAt(end + 1) == '\n' ? end + 2 : end + 1;
      }
      out.write(NEWLINE);
      out.flush();
    } finally {
      lock.unlock();
    }
  }

  /** A comment line (clients ignore it), for keep-alives; its text must hold no line break. */
  public void comment(String text) throws IOException {
    checkField("comment", text);
    lock.lock();
    try {
      open();
      ServletOutputStream out = response.getOutputStream();
      line(out, COMMENT, text == null ? "" : text);
      out.write(NEWLINE);
      out.flush();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The {@code Last-Event-ID} a reconnecting client sent, when it is one a face can use: at most
   * {@link #MAX_EVENT_ID} characters, no line breaks or NUL.
   */
  public static Optional<String> lastEventId(HttpServletRequest request) {
    String id = request.getHeader("Last-Event-ID");
    if (id == null || id.isEmpty() || id.length() > MAX_EVENT_ID || hasBreak(id)) {
      return Optional.empty();
    }
    return Optional.of(id);
  }

  private static void line(ServletOutputStream out, byte[] field, String value) throws IOException {
    out.write(field);
    out.write(value.getBytes(StandardCharsets.UTF_8));
    out.write(NEWLINE);
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

  private static void checkField(String name, String value) {
    if (value != null && hasBreak(value)) {
      throw new IllegalArgumentException("an SSE " + name + " cannot hold a line break or NUL");
    }
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
