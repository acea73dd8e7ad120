package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelUsage;

/**
 * Between the OpenAI chat-completions format and Anthropic Messages, both ways, for requests,
 * answers and streams. Between two equal dialects nothing is translated: the request goes as the
 * caller sent it but for its {@code model}, and the answer comes back as the provider sent it.
 * Pure functions of their input; never throws anything but {@code ModelCallException}.
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
    throw new UnsupportedOperationException("not yet");
  }

  /** The caller's answer (dialect {@code to}) for a provider's non-streamed answer in {@code from}. */
  public static ObjectNode response(Dialect from, Dialect to, ObjectNode body) {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * A translator for one stream from a provider speaking {@code from} to a caller speaking {@code
   * to}. {@code clientWantsUsage}: an OpenAI caller sent {@code stream_options.include_usage:
   * true}; otherwise the usage-only chunk Gatehouse asked for is not relayed.
   */
  public static StreamTranslator stream(Dialect from, Dialect to, boolean clientWantsUsage) {
    throw new UnsupportedOperationException("not yet");
  }

  /** The usage in a provider's non-streamed answer of dialect {@code dialect}; null when it has none. */
  public static ModelUsage usage(Dialect dialect, ObjectNode response) {
    throw new UnsupportedOperationException("not yet");
  }
}
