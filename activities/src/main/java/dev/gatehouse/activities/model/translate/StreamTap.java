package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;

/**
 * What every stream translator shares: the tap (usage, completion, the text relayed, bounded) and
 * the error event of the caller's dialect.
 */
abstract class StreamTap implements StreamTranslator {
  /** The most text kept for an estimate (1 Mi chars, some 250 000 tokens): past it, an estimate is a floor. */
  static final int MAX_RELAYED_CHARS = 1 << 20;

  private final Dialect caller;
  private final StringBuilder relayed = new StringBuilder();
  ModelUsage usage;
  boolean complete;
  /** Whether {@link #usage} counts the whole answer when the stream is complete ({@link StreamTranslator#usageFinal}). */
  boolean usageFinal = true;
  /** What Gatehouse meters of a stream whose provider reported no usage ({@link #estimateUsageWith}); null: not given. */
  java.util.function.Function<CharSequence, ModelUsage> estimate;

  StreamTap(Dialect caller) {
    this.caller = caller;
  }

  @Override
  public ModelUsage usage() {
    return usage;
  }

  @Override
  public boolean complete() {
    return complete;
  }

  @Override
  public boolean usageFinal() {
    return usageFinal;
  }

  @Override
  public void estimateUsageWith(java.util.function.Function<CharSequence, ModelUsage> estimate) {
    this.estimate = estimate;
  }

  @Override
  public CharSequence relayedText() {
    return relayed.toString();
  }

  /**
   * OpenAI: a data-only event {@code {"error":{"message","type","param","code"}}}, as OpenAI sends
   * mid-stream; Anthropic: {@code event: error} with {@code {"type":"error","error":{"type","message"}}}.
   * The type is one the caller's SDK knows ({@code api_error}: the failure is the provider's, after
   * the answer began; for an Anthropic caller, the type an Anthropic provider's own error event
   * gave, when it is one of {@link #ANTHROPIC_STREAM_ERRORS}); Gatehouse's stable code rides in
   * {@code code}, as in the faces' other errors.
   */
  /** The SDK error type of a failure after the answer began, in both APIs. */
  static final String STREAM_ERROR_TYPE = "api_error";

  /**
   * The error types of an Anthropic provider's stream an Anthropic caller is told as they are:
   * Anthropic's SDKs and Claude Code wait and retry an {@code overloaded_error} as a 529, which
   * {@code api_error} does not say.
   */
  private static final java.util.Set<String> ANTHROPIC_STREAM_ERRORS = java.util.Set.of("overloaded_error", "rate_limit_error", "api_error");

  /** The type of the error an Anthropic provider's stream reported (a plain token), null when it reported none. */
  private String upstreamErrorType;

  /** An Anthropic provider's {@code error} event ends its stream: what it said is kept for {@link #fail}. */
  void checkAnthropicError(String type, ObjectNode data) {
    if ("error".equals(type)) {
      upstreamErrorType = Json.errorType(data.get("error"));
      throw upstreamFailed(data.get("error"));
    }
  }

  @Override
  public void fail(String code, String message, StreamSink out) throws IOException {
    ObjectNode event = Json.object();
    if (caller == Dialect.OPENAI) {
      ObjectNode error = event.putObject("error").put("message", message).put("type", STREAM_ERROR_TYPE);
      error.putNull("param");
      error.put("code", code);
      out.event(null, Json.write(event));
    } else {
      event.put("type", "error");
      String type = upstreamErrorType != null && ANTHROPIC_STREAM_ERRORS.contains(upstreamErrorType) ? upstreamErrorType : STREAM_ERROR_TYPE;
      event.putObject("error").put("type", type).put("message", message).put("code", code);
      out.event("error", Json.write(event));
    }
  }

  /** Keeps {@code text} for an estimate, up to {@link #MAX_RELAYED_CHARS}. */
  void relay(String text) {
    if (text == null || text.isEmpty()) {
      return;
    }
    int room = MAX_RELAYED_CHARS - relayed.length();
    if (room <= 0) {
      return;
    }
    int end = Math.min(room, text.length());
    if (end < text.length() && end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--; // never keep half a character
    }
    relayed.append(text, 0, end);
  }

  /** How much relayed text is kept, for {@link #unrelay}. */
  int relayedLength() {
    return relayed.length();
  }

  /** Forgets the text kept since {@link #relayedLength} said {@code length} (an event that turned out broken). */
  void unrelay(int length) {
    relayed.setLength(length);
  }

  /** An upstream event's data as a JSON object, or the stream is broken. */
  static ObjectNode parse(SseEvent event) {
    JsonNode node = Json.parse(event.data());
    if (node == null || !node.isObject()) {
      throw Json.upstream("the provider's stream sent an event that is not a JSON object", false);
    }
    return (ObjectNode) node;
  }

  /** The provider reported an error in its stream: it is over. */
  static ModelCallException upstreamFailed(JsonNode error) {
    String type = Json.errorType(error);
    return Json.upstream("the provider's stream failed" + (type == null ? "" : " (" + type + ")"), true);
  }
}
