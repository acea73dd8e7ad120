package dev.gatehouse.activities.usage;

import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.registry.models.ModelDefinition;
import java.math.BigDecimal;

/** What a call cost at a model's prices per million tokens. (Contract; the implementation is to come.) */
public final class ModelCosts {
  private ModelCosts() {}

  /**
   * The cost of {@code usage} at {@code prices}: uncached input at the input price, cached input at
   * the cached-input price (the input price when that is unknown), output at the output price.
   * Null when {@code prices} is null or a price the usage needs is unknown.
   */
  public static BigDecimal cost(ModelDefinition.Prices prices, ModelUsage usage) {
    return null;
  }
}
