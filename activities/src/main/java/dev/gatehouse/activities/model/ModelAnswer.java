package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;

/**
 * How a model call ended: {@code body} the answer in the caller's dialect (null for a stream,
 * whose events went to its {@link StreamSink}); the usage and its cost (null when the model has
 * no prices); which provider and provider model answered; the time to the first token in
 * milliseconds (null when not streamed); what policy entries did to the call without refusing it
 * ({@code policies}: {@code pii-mask@2 redacted EMAIL×1 in model-answers}; empty when none did).
 */
public record ModelAnswer(
    ObjectNode body,
    ModelUsage usage,
    BigDecimal cost,
    String provider,
    String providerModel,
    Long timeToFirstTokenMs,
    List<String> policies) {

  public ModelAnswer {
    policies = policies == null ? List.of() : List.copyOf(policies);
  }

  /** An answer no policy entry touched. */
  public ModelAnswer(
      ObjectNode body, ModelUsage usage, BigDecimal cost, String provider, String providerModel, Long timeToFirstTokenMs) {
    this(body, usage, cost, provider, providerModel, timeToFirstTokenMs, List.of());
  }

  /** This answer with the notes of the policy entries that decided something about the call. */
  public ModelAnswer withPolicies(List<String> notes) {
    return new ModelAnswer(body, usage, cost, provider, providerModel, timeToFirstTokenMs, notes);
  }
}
