package dev.gatehouse.workflows.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Output of {@link ModelActivities#call}: the answer's text ({@code content}; null when the model
 * answered with no text, only tool calls for instance), the whole assistant {@code message} in
 * the OpenAI format, why the model stopped ({@code finishReason}: {@code stop}, {@code length},
 * {@code tool_calls}, ...), the tokens used, their {@code cost} from the registry's prices (a
 * decimal number as text, exact; null when the model has no prices), which provider and provider
 * model answered, how long the call took, fallbacks included, and what policy entries did to the
 * call without refusing it ({@code policies}: {@code pii-mask@2 redacted EMAIL×1 in
 * model-requests}, counts and kinds only; null when none did, and in histories written before it
 * existed). {@code usage} and {@code cost} are the answer's own; {@code earlierAttempts} is what
 * the provider billed for the step's attempts before it that failed all the same (null when there
 * were none, and in histories written before it existed).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelCallResult(
    String content,
    ObjectNode message,
    String finishReason,
    ModelCallUsage usage,
    String cost,
    String provider,
    String providerModel,
    long latencyMs,
    List<String> policies,
    EarlierAttempts earlierAttempts) {

  /** A result of a step's first billed attempt. */
  public ModelCallResult(
      String content,
      ObjectNode message,
      String finishReason,
      ModelCallUsage usage,
      String cost,
      String provider,
      String providerModel,
      long latencyMs,
      List<String> policies) {
    this(content, message, finishReason, usage, cost, provider, providerModel, latencyMs, policies, null);
  }

  /** A result no policy entry touched. */
  public ModelCallResult(
      String content,
      ObjectNode message,
      String finishReason,
      ModelCallUsage usage,
      String cost,
      String provider,
      String providerModel,
      long latencyMs) {
    this(content, message, finishReason, usage, cost, provider, providerModel, latencyMs, null, null);
  }

  /** This result, after earlier attempts billed {@code earlier} (null: none). */
  public ModelCallResult withEarlierAttempts(EarlierAttempts earlier) {
    return new ModelCallResult(content, message, finishReason, usage, cost, provider, providerModel, latencyMs, policies, earlier);
  }
}
