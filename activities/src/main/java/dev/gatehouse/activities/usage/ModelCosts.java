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
   * the cached-input price and input written to the cache at the cache-write price (each the input
   * price when unknown), output at the output price.
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
    long written = Math.min(Math.max(0, usage.cacheWriteInputTokens()), input - cached);
    long uncached = input - cached - written;
    long output = Math.max(0, usage.outputTokens());
    BigDecimal cachedPrice = prices.cachedInput() != null ? prices.cachedInput() : prices.input();
    BigDecimal writePrice = prices.cacheWrite() != null ? prices.cacheWrite() : prices.input();

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
    if (written > 0) {
      if (writePrice == null) {
        return null;
      }
      total = total.add(writePrice.multiply(BigDecimal.valueOf(written)));
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

  /**
   * The most {@code input} and {@code output} tokens can cost at {@code prices}, however the
   * provider's cache takes the input: all uncached, all read from the cache or all written to it.
   * Null when a price the uncached case needs is unknown.
   */
  public static BigDecimal worst(ModelDefinition.Prices prices, long input, long output) {
    BigDecimal worst = cost(prices, new ModelUsage(input, 0, output, 0, true));
    if (worst == null) {
      return null;
    }
    for (ModelUsage cachedWay : new ModelUsage[] {
        new ModelUsage(input, input, 0, output, 0, true), new ModelUsage(input, 0, input, output, 0, true)}) {
      BigDecimal cost = cost(prices, cachedWay);
      if (cost != null) {
        worst = worst.max(cost);
      }
    }
    return worst;
  }
}
