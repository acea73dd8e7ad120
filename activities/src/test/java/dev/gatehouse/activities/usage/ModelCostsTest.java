package dev.gatehouse.activities.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.registry.models.ModelDefinition.Prices;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class ModelCostsTest {
  private static final Prices PRICES = new Prices(new BigDecimal("2.50"), new BigDecimal("1.25"), new BigDecimal("10"));

  private static ModelUsage usage(long in, long cached, long out, long reasoning) {
    return new ModelUsage(in, cached, out, reasoning, false);
  }

  @Test
  void uncachedCachedAndOutputTokensArePricedPerMillion() {
    // 1,000 input of which 400 cached, 500 output (200 of them reasoning, priced as output):
    // 600 × 2.50 + 400 × 1.25 + 500 × 10 = 1500 + 500 + 5000 = 7000 per million = 0.007
    assertThat(ModelCosts.cost(PRICES, usage(1_000, 400, 500, 200))).isEqualTo(new BigDecimal("0.007"));
  }

  @Test
  void cachedInputFallsBackToTheInputPriceWhenItHasNone() {
    Prices noCached = new Prices(new BigDecimal("2.50"), null, new BigDecimal("10"));
    // 1,000 input at 2.50 whether cached or not, 0 output: 0.0025
    assertThat(ModelCosts.cost(noCached, usage(1_000, 400, 0, 0))).isEqualTo(new BigDecimal("0.0025"));
  }

  @Test
  void aPriceTheCallNeedsThatIsUnknownMakesTheCostUnknown() {
    assertThat(ModelCosts.cost(null, usage(10, 0, 10, 0))).isNull();
    assertThat(ModelCosts.cost(PRICES, null)).isNull();
    assertThat(ModelCosts.cost(new Prices(null, new BigDecimal("1"), new BigDecimal("1")), usage(10, 0, 10, 0))).isNull();
    assertThat(ModelCosts.cost(new Prices(new BigDecimal("1"), null, null), usage(10, 0, 10, 0))).isNull();
    // Only cached input, and neither a cached-input nor an input price.
    assertThat(ModelCosts.cost(new Prices(null, null, new BigDecimal("1")), usage(10, 10, 0, 0))).isNull();
  }

  @Test
  void aPriceForTokensTheCallDidNotUseIsNotNeeded() {
    // An embeddings call: input only; the model has no output price.
    Prices inputOnly = new Prices(new BigDecimal("0.02"), null, null);
    assertThat(ModelCosts.cost(inputOnly, usage(1_000_000, 0, 0, 0))).isEqualTo(new BigDecimal("0.02"));
    // Every input token cached: the uncached input price is not needed.
    assertThat(ModelCosts.cost(new Prices(null, new BigDecimal("1"), new BigDecimal("4")), usage(1_000, 1_000, 250, 0)))
        .isEqualTo(new BigDecimal("0.002"));
    assertThat(ModelCosts.cost(new Prices(null, null, null), usage(0, 0, 0, 0))).isEqualTo(BigDecimal.ZERO);
  }

  @Test
  void tinyCostsAreExactUpToTwelvePlacesAndLargeOnesHaveNoExponent() {
    Prices cheap = new Prices(new BigDecimal("0.15"), null, new BigDecimal("0.6"));
    assertThat(ModelCosts.cost(cheap, usage(1, 0, 0, 0))).isEqualTo(new BigDecimal("0.00000015"));
    Prices odd = new Prices(new BigDecimal("0.0000001"), null, null);
    // 1 × 1e-7 / 1e6 = 1e-13: rounds to 0 at 12 places.
    assertThat(ModelCosts.cost(odd, usage(1, 0, 0, 0))).isEqualByComparingTo("0");
    BigDecimal big = ModelCosts.cost(new Prices(new BigDecimal("10"), null, null), usage(100_000_000, 0, 0, 0));
    assertThat(big.toString()).isEqualTo("1000");
  }

  @Test
  void inputWrittenToTheCacheIsPricedAtTheCacheWritePriceOrElseTheInputPrice() {
    // Anthropic's prices for a Sonnet: 3 in, 0.30 cache reads, 3.75 cache writes, 15 out.
    Prices anthropic = new Prices(new BigDecimal("3"), new BigDecimal("0.30"), new BigDecimal("15"), new BigDecimal("3.75"));
    // 10 uncached, 100 read, 1,000 written, 5 out: 30 + 30 + 3750 + 75 = 3885 per million
    ModelUsage usage = new ModelUsage(1_110, 100, 1_000, 5, 0, false);
    assertThat(ModelCosts.cost(anthropic, usage)).isEqualTo(new BigDecimal("0.003885"));
    // Without a cache-write price they are input: 1,010 × 3 + 30 + 75 = 3135
    assertThat(ModelCosts.cost(new Prices(new BigDecimal("3"), new BigDecimal("0.30"), new BigDecimal("15")), usage))
        .isEqualTo(new BigDecimal("0.003135"));
    // Reads and writes together never count more than the input.
    assertThat(new ModelUsage(100, 60, 90, 0, 0, false).cacheWriteInputTokens()).isEqualTo(40);
  }

  @Test
  void theWorstCaseTakesTheDearestWayTheCacheCanTakeTheInput() {
    Prices anthropic = new Prices(new BigDecimal("3"), new BigDecimal("0.30"), new BigDecimal("15"), new BigDecimal("3.75"));
    // 1,000 in all written to the cache (3750) beats all uncached (3000); 100 out: 1500
    assertThat(ModelCosts.worst(anthropic, 1_000, 100)).isEqualTo(new BigDecimal("0.00525"));
    // A cached price above the input price (a misconfiguration, but a budget must hold) counts too.
    Prices odd = new Prices(new BigDecimal("1"), new BigDecimal("2"), new BigDecimal("1"));
    assertThat(ModelCosts.worst(odd, 1_000, 0)).isEqualTo(new BigDecimal("0.002"));
    assertThat(ModelCosts.worst(PRICES, 1_000, 100)).isEqualTo(new BigDecimal("0.0035"));
    assertThat(ModelCosts.worst(new Prices(null, new BigDecimal("1"), new BigDecimal("1")), 10, 10)).isNull();
  }

  @Test
  void aProviderReportingMoreCachedThanInputTokensIsPricedAsAllCached() {
    assertThat(ModelCosts.cost(PRICES, usage(100, 400, 0, 0))).isEqualTo(new BigDecimal("0.000125"));
  }
}
