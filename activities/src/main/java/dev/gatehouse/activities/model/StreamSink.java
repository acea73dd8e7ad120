package dev.gatehouse.activities.model;

import java.io.IOException;

/**
 * Where a streamed model call's events go, in the caller's dialect. The invoker calls {@link
 * #open} once, when an upstream has answered with a stream and fallback is over, then {@link
 * #event} for each event as it arrives (never buffered whole), and {@link #flush} whenever it has
 * relayed all the provider has sent so far and is about to wait for more (so events that came
 * together leave together, and none waits on the provider). A failure after {@code open} ends
 * the stream with an error event in the dialect. An {@link IOException} from any method means
 * the client has gone: the invoker cancels the upstream request and records what was relayed.
 */
public interface StreamSink {

  /** The stream is committed: the status line and headers go with the first {@link #flush} at the latest. */
  void open() throws IOException;

  /**
   * One Server-Sent Event: {@code name} the {@code event:} field (null for OpenAI's data-only
   * events), {@code data} its data (for OpenAI the final one is {@code [DONE]}). An event the sink
   * cannot write (a name with a line break) is refused with {@link IllegalArgumentException}, not
   * an IOException: that is the provider's fault, not the client leaving.
   */
  void event(String name, String data) throws IOException;

  /**
   * Sends what {@link #open} and {@link #event} wrote so far to the client now. A sink that sends
   * each event as it is written need not do anything.
   */
  default void flush() throws IOException {}

  /**
   * An SSE comment ({@code : keep-alive}), sent at once, on a stream that is open; nothing on one
   * that is not. Written while the provider is quiet (from another thread than the relaying one,
   * never at the same time as its writes): it keeps proxies between Gatehouse and the client from
   * closing a connection that looks idle, and finds a client that has left (the write fails with
   * an IOException). SSE readers skip comments. A sink that wraps another passes it on.
   */
  default void keepAlive() throws IOException {}

  /**
   * How many writes (events and keep-alives) have reached the client so far, or -1 when the sink
   * cannot tell: an event a policy holds back reaches no one, and keeps nothing alive. A sink that
   * wraps another passes it on.
   */
  default long written() {
    return -1;
  }
}
