package dev.gatehouse.activities.usage;

import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.registry.models.ModelDefinition;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** What a call cost at a model's prices per million tokens. */
public final class ModelCosts {
  /** Costs keep at most this many decimal places (a millionth of a millionth of the currency unit). */
  public static final int SCALE = 12;

  private ModelCosts() {}

  /**
   * The cost of {@code usage} at {@code prices}: uncached input at the input price, cached input at
   * the cached-input price (the input price when that is unknown), output at the output price.
   * Null when {@code prices} is null or a price the usage needs is unknown; a price for a kind of
   * token the call did not use is not needed (an embeddings call needs no output price). Exact
   * decimal arithmetic, rounded half-even to {@link #SCALE} places at most, trailing zeros dropped.
   */
  public static BigDecimal cost(ModelDefinition.Prices prices, ModelUsage usage) {
    if (prices == null || usage == null) {
      return null;
    }
    long input = Math.max(0, usage.inputTokens());
    long cached = Math.min(Math.max(0, usage.cachedInputTokens()), input);
    long uncached = input - cached;
    long output = Math.max(0, usage.outputTokens());
    BigDecimal cachedPrice = prices.cachedInput() != null ? prices.cachedInput() : prices.input();

    BigDecimal total = BigDecimal.ZERO;
    if (uncached > 0) {
      if (prices.input() == null) {
        return null;
      }
      total = total.add(prices.input().multiply(BigDecimal.valueOf(uncached)));
    }
    if (cached > 0) {
      if (cachedPrice == null) {
        return null;
      }
      total = total.add(cachedPrice.multiply(BigDecimal.valueOf(cached)));
    }
    if (output > 0) {
      if (prices.output() == null) {
        return null;
      }
      total = total.add(prices.output().multiply(BigDecimal.valueOf(output)));
    }
    BigDecimal perToken = total.movePointLeft(6); // prices are per million tokens
    if (perToken.scale() > SCALE) {
      perToken = perToken.setScale(SCALE, RoundingMode.HALF_EVEN);
    }
    BigDecimal plain = perToken.stripTrailingZeros();
    return plain.scale() < 0 ? plain.setScale(0) : plain;
  }
}
