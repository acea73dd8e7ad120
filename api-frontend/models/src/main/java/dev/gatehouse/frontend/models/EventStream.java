package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.frontend.core.sse.SseWriter;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A streamed model call's answer: {@link #open} commits 200 {@code text/event-stream} (no caching,
 * no proxy buffering), and each event is written and flushed as it comes, so the client sees each
 * chunk when the provider sends it. A write that fails (the client has gone) throws, and the
 * invoker cancels the upstream request.
 */
final class EventStream implements StreamSink {
  private final HttpServletResponse response;
  private final SseWriter writer;
  private volatile boolean opened;

  EventStream(HttpServletResponse response) {
    this.response = response;
    this.writer = new SseWriter(response);
  }

  @Override
  public void open() throws IOException {
    response.setHeader("X-Accel-Buffering", "no");
    writer.open();
    opened = true;
    response.flushBuffer();
  }

  @Override
  public void event(String name, String data) throws IOException {
    try {
      writer.event(null, name, data);
    } catch (IllegalArgumentException | IllegalStateException e) {
      // An event name that cannot be sent, or a response Jetty has closed: the stream cannot go on.
      throw new IOException("the event could not be written", e);
    }
  }

  /** True once the status line and headers have gone: a failure now can only end the stream. */
  boolean opened() {
    return opened || response.isCommitted();
  }
}
