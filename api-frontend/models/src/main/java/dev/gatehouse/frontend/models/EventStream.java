package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.frontend.core.sse.SseEncoder;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A streamed model call's answer: {@link #open} makes the response 200 {@code text/event-stream}
 * (no caching, no proxy buffering); each event is encoded once ({@link SseEncoder}, the framing
 * every face shares: one {@code data:} line per line of its payload, an event name with a line
 * break or NUL refused) into one write to the response's buffer, and {@link #flush} sends what was
 * written (the invoker flushes whenever it has relayed all the provider sent so far, so the client
 * sees each chunk when the provider sends it, and events that arrived together leave in one
 * write). A write or flush that fails (the client has gone) throws, and the invoker cancels the
 * upstream request. Used by the request's thread, and, while the provider is quiet, by the
 * invoker's keep-alive ({@link #keepAlive}), never at the same time.
 */
final class EventStream implements StreamSink {
  private final HttpServletResponse response;
  private ServletOutputStream out;
  private volatile boolean opened;
  /** One event, encoded; reused for the next. */
  private final SseEncoder encoder = new SseEncoder();

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
    // An event name that cannot be sent is refused (IllegalArgumentException): the provider's
    // fault, which the invoker ends the stream for with an error event; an IOException would say
    // the client had left.
    encoder.reset().event(null, name, data);
    open();
    try {
      encoder.writeTo(out);
      written++;
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

  /** Events and keep-alives written; written under the invoker's lock, read by its thread. */
  private volatile long written;

  @Override
  public long written() {
    return written;
  }

  private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  @Override
  public void keepAlive() throws IOException {
    if (!opened) {
      return;
    }
    try {
      out.write(KEEP_ALIVE);
      out.flush();
      written++;
    } catch (IllegalStateException e) {
      throw new IOException("the keep-alive could not be written", e);
    }
  }

  /** True once the status line and headers are set: a failure now can only end the stream. */
  boolean opened() {
    return opened || response.isCommitted();
  }
}
