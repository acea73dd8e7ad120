package dev.gatehouse.activities.model;

import java.io.IOException;

/**
 * Where a streamed model call's events go, in the caller's dialect. The invoker calls {@link
 * #open} once, when an upstream has answered with a stream and fallback is over, then {@link
 * #event} for each event as it arrives (never buffered whole). A failure after {@code open} ends
 * the stream with an error event in the dialect. An {@link IOException} from either method means
 * the client has gone: the invoker cancels the upstream request and records what was relayed.
 */
public interface StreamSink {

  /** The stream is committed: the face sends its status line and headers now. */
  void open() throws IOException;

  /**
   * One Server-Sent Event: {@code name} the {@code event:} field (null for OpenAI's data-only
   * events), {@code data} its data (for OpenAI the final one is {@code [DONE]}).
   */
  void event(String name, String data) throws IOException;
}
