package dev.gatehouse.registry.models;

import dev.gatehouse.registry.tools.RetrySpec;
import java.math.BigDecimal;
import java.util.List;

/**
 * A model as agents name it ({@code name}, the alias), and where its calls go: {@code targets},
 * provider models chosen by weight; {@code fallbacks}, other aliases tried in order when every
 * target fails; {@code retry}, the policy for one target (null: the default). {@code prices} are
 * per million tokens; {@code contextWindow} and {@code maxOutput} are in tokens (null: unknown).
 * {@code tenantId} null: a global model.
 */
public record ModelDefinition(
    String name,
    String tenantId,
    List<Target> targets,
    List<String> fallbacks,
    RetrySpec retry,
    Prices prices,
    Integer contextWindow,
    Integer maxOutput) {

  public ModelDefinition {
    targets = targets == null ? List.of() : List.copyOf(targets);
    fallbacks = fallbacks == null ? List.of() : List.copyOf(fallbacks);
  }

  /** One provider model behind the alias; {@code weight} is its share of the traffic. */
  public record Target(String provider, String model, int weight) {}

  /**
   * Prices per million tokens, in the operator's currency; a null price is unknown. {@code
   * cachedInput} is for input read from the provider's cache, {@code cacheWrite} for input written
   * to it (Anthropic bills those above its input price); each is the input price when unknown.
   */
  public record Prices(
      BigDecimal input,
      BigDecimal cachedInput,
      BigDecimal output,
      // left out when unknown, so definitions stored before it was known compare equal
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
          BigDecimal cacheWrite) {

    public Prices(BigDecimal input, BigDecimal cachedInput, BigDecimal output) {
      this(input, cachedInput, output, null);
    }
  }

  public ModelDefinition withTenant(String tenant) {
    return new ModelDefinition(name, tenant, targets, fallbacks, retry, prices, contextWindow, maxOutput);
  }
}
