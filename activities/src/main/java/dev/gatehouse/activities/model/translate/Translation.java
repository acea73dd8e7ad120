package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelUsage;
import java.time.Clock;

/**
 * Between the OpenAI chat-completions format and Anthropic Messages, both ways, for requests,
 * answers and streams. Between two equal dialects nothing is translated: the request goes as the
 * caller sent it, every member it sent kept, but for its {@code model} (and, on a stream, {@code
 * stream: true} and for OpenAI {@code stream_options.include_usage: true}), and the answer comes
 * back as the provider sent it. Pure
 * functions of their input (but for {@code created}, the time an OpenAI answer made from an
 * Anthropic one carries); never throws anything but {@code ModelCallException}.
 *
 * <p>What maps to what, and what is refused: {@link ToAnthropicRequest}, {@link ToOpenAiRequest},
 * {@link ToAnthropicAnswer}, {@link ToOpenAiAnswer}, {@link StopReasons}, {@link Usages}, {@link
 * Ids}, and the stream translators.
 */
public final class Translation {
  private Translation() {}

  /**
   * The request to send a provider of dialect {@code to} for {@code body} in dialect {@code from},
   * naming {@code providerModel}. A new node; {@code body} is not changed. When {@code stream} is
   * on and the provider is OpenAI, asks for usage ({@code stream_options.include_usage}). Throws
   * {@code ModelCallException} {@code invalid_request} for what cannot be translated.
   */
  public static ObjectNode request(Dialect from, Dialect to, ObjectNode body, String providerModel, boolean stream) {
    if (from != to) {
      return from == Dialect.OPENAI
          ? ToAnthropicRequest.translate(body, providerModel, stream)
          : ToOpenAiRequest.translate(body, providerModel, stream);
    }
    ObjectNode copy = body.deepCopy();
    copy.put("model", providerModel);
    if (stream) {
      copy.put("stream", true);
      if (to == Dialect.OPENAI) {
        ObjectNode options = copy.get("stream_options") instanceof ObjectNode given ? given : copy.putObject("stream_options");
        options.put("include_usage", true);
      }
    }
    return copy;
  }

  /** The caller's answer (dialect {@code to}) for a provider's non-streamed answer in {@code from}. */
  public static ObjectNode response(Dialect from, Dialect to, ObjectNode body) {
    return response(from, to, body, Clock.systemUTC());
  }

  static ObjectNode response(Dialect from, Dialect to, ObjectNode body, Clock clock) {
    if (from == to) {
      return answer(from, body);
    }
    return from == Dialect.OPENAI ? ToAnthropicAnswer.translate(body) : ToOpenAiAnswer.translate(body, clock);
  }

  /**
   * {@code body} when it is an answer of {@code dialect} (OpenAI's chat: a {@code choices} array
   * and no {@code error}; Anthropic's: {@code type: "message"} and a {@code content} array), else
   * {@code ModelCallException} {@code upstream_error}: a 200 holding an error, or nothing, is not
   * passed on as an answer. The error's free text is not repeated (see {@link Json#errorType}).
   */
  static ObjectNode answer(Dialect dialect, ObjectNode body) {
    JsonNode error = body.get("error");
    boolean ok =
        dialect == Dialect.OPENAI
            ? body.path("choices").isArray() && (error == null || error.isNull())
            : "message".equals(Json.text(body, "type")) && body.path("content").isArray();
    if (ok) {
      return body;
    }
    String type = error != null && error.isObject() ? Json.errorType(error) : null;
    throw Json.upstream(
        error != null && !error.isNull()
            ? "the provider answered 200 with an error" + (type == null ? "" : " (" + type + ")")
            : "the provider's answer is not a " + (dialect == Dialect.OPENAI ? "chat completion (no choices)" : "message (no type \"message\" and content)"),
        false);
  }

  /**
   * A translator for one stream from a provider speaking {@code from} to a caller speaking {@code
   * to}. {@code clientWantsUsage}: an OpenAI caller sent {@code stream_options.include_usage:
   * true}; otherwise the usage-only chunk Gatehouse asked for is not relayed.
   */
  public static StreamTranslator stream(Dialect from, Dialect to, boolean clientWantsUsage) {
    return stream(from, to, clientWantsUsage, Clock.systemUTC());
  }

  static StreamTranslator stream(Dialect from, Dialect to, boolean clientWantsUsage, Clock clock) {
    if (from == Dialect.OPENAI) {
      return to == Dialect.OPENAI ? new OpenAiPassThroughStream(clientWantsUsage) : new OpenAiToAnthropicStream();
    }
    return to == Dialect.ANTHROPIC ? new AnthropicPassThroughStream() : new AnthropicToOpenAiStream(clientWantsUsage, clock);
  }

  /**
   * Sets {@code usage} as the usage of {@code answer}, a non-streamed answer translated into
   * dialect {@code to}: what Gatehouse metered of one whose provider reported none (the
   * translation wrote 0 tokens).
   */
  public static void setUsage(Dialect to, ObjectNode answer, ModelUsage usage) {
    answer.set("usage", to == Dialect.OPENAI ? Usages.toOpenAi(usage) : Usages.toAnthropic(usage));
  }

  /** The usage in a provider's non-streamed answer of dialect {@code dialect}; null when it has none. */
  public static ModelUsage usage(Dialect dialect, ObjectNode response) {
    return dialect == Dialect.OPENAI ? Usages.fromOpenAi(response.get("usage")) : Usages.fromAnthropic(response.get("usage"));
  }
}
