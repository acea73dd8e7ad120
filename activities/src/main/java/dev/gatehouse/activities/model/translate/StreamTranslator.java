package dev.gatehouse.activities.model.translate;

import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;

/**
 * Turns one upstream stream's events (in the provider's dialect) into the caller's events (in its
 * dialect), one upstream event at a time, writing what it produces to a {@link StreamSink} as soon
 * as it can (nothing is held back beyond what the mapping needs). Also taps the stream: the usage
 * the provider reported, and the text relayed (for an estimate when the stream ends early). One
 * per stream; not thread-safe.
 */
public interface StreamTranslator {

  /**
   * One upstream event. Throws {@link IOException} when the sink does (the client has gone), and
   * {@code ModelCallException} (code {@code upstream_error}) when the event is not what the
   * provider's dialect allows (unparseable JSON, an error event): the stream is then over.
   */
  void accept(SseEvent upstream, StreamSink out) throws IOException;

  /**
   * The upstream stream ended normally: writes whatever closing events the caller's dialect needs
   * that the upstream did not send (for OpenAI callers {@code [DONE]}) .
   */
  void finish(StreamSink out) throws IOException;

  /**
   * Ends the caller's stream with an error event in its dialect (after a failure mid-stream):
   * OpenAI {@code data: {"error":{...}}}, Anthropic {@code event: error}.
   */
  void fail(String code, String message, StreamSink out) throws IOException;

  /** The usage the provider reported on this stream, or null when it has reported none (yet). */
  ModelUsage usage();

  /**
   * Whether the usage reported counts the whole answer once the stream is complete; when not (an
   * Anthropic stream whose last usage gave no output count), its output is estimated from what was
   * relayed, as for a stream that broke.
   */
  default boolean usageFinal() {
    return true;
  }

  /** Whether the provider's stream reached its end event (OpenAI {@code [DONE]} or a finish with usage, Anthropic {@code message_stop}). */
  boolean complete();

  /** The output text relayed so far (content, tool-call arguments), for an estimate; bounded. */
  CharSequence relayedText();

  /**
   * How a translator that writes the caller's usage itself (the provider's is in the other
   * dialect) counts it when the provider reported none, or no final one: {@code estimate} is given
   * the text relayed, and answers what Gatehouse meters. Without it such a stream told its caller
   * the call used 0 tokens. Pass-through streams relay the provider's usage as it is, and ignore it.
   */
  default void estimateUsageWith(java.util.function.Function<CharSequence, ModelUsage> estimate) {}
}
