package dev.gatehouse.frontend.core.sse;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Server-Sent Events on one servlet response, for every face that streams (MCP tool calls today;
 * task events, the model gateway's streams and A2A next). Events are written whole, one at a time,
 * from whichever thread produces them, each in one write ({@link SseEncoder}), and flushed at once.
 * A payload is written as one {@code data:} line per line of its text, so it cannot end its event
 * early or forge fields; an id or an event name with a line break or NUL is refused.
 *
 * <p>An event may carry an id. A face that can resume a stream numbers its events and, when the
 * client reconnects, reads the last one it received with {@link #lastEventId}.
 */
public final class SseWriter {
  /** The longest {@code Last-Event-ID} a face is asked to make sense of. */
  public static final int MAX_EVENT_ID = 256;

  private final HttpServletResponse response;
  private final ReentrantLock lock = new ReentrantLock();
  /** Made at the first event: a response that never becomes a stream (most answers) needs none. */
  private SseEncoder encoder;
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
    lock.lock();
    try {
      encoder().event(id, event, data); // refuses a bad id or name before anything is sent
      send();
    } finally {
      lock.unlock();
    }
  }

  /** A comment line (clients ignore it), for keep-alives; its text must hold no line break. */
  public void comment(String text) throws IOException {
    lock.lock();
    try {
      encoder().comment(text);
      send();
    } finally {
      lock.unlock();
    }
  }

  /** The encoder, emptied (under the lock). */
  private SseEncoder encoder() {
    if (encoder == null) {
      encoder = new SseEncoder();
    }
    return encoder.reset();
  }

  /** Opens the stream if needed, writes what the encoder holds in one write, and flushes it. */
  private void send() throws IOException {
    open();
    ServletOutputStream out = response.getOutputStream();
    encoder.writeTo(out);
    out.flush();
  }

  /**
   * The {@code Last-Event-ID} a reconnecting client sent, when it is one a face can use: at most
   * {@link #MAX_EVENT_ID} characters, no line breaks or NUL.
   */
  public static Optional<String> lastEventId(HttpServletRequest request) {
    String id = request.getHeader("Last-Event-ID");
    if (id == null || id.isEmpty() || id.length() > MAX_EVENT_ID || SseEncoder.hasBreak(id)) {
      return Optional.empty();
    }
    return Optional.of(id);
  }
}
