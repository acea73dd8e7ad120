package dev.gatehouse.frontend.core.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ModelDefinition.Target;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The timeout and retries a model step's {@code Model.Call} gets from the registry. */
class ModelStepPoliciesTest {
  private static final Map<String, ProviderDefinition> PROVIDERS =
      Map.of(
          "fast", provider("fast", Duration.ofSeconds(10)),
          "slow", provider("slow", Duration.ofSeconds(60)),
          "default", provider("default", null));

  private static ProviderDefinition provider(String name, Duration timeout) {
    return new ProviderDefinition(name, null, "openai", "http://127.0.0.1:9/v1", null, timeout, null);
  }

  private static ModelDefinition model(String name, RetrySpec retry, List<String> fallbacks, String... providers) {
    return new ModelDefinition(
        name, null, java.util.Arrays.stream(providers).map(p -> new Target(p, "m", 1)).toList(), fallbacks, retry, null, null, null);
  }

  private static ModelCallPolicy policy(ModelDefinition m, ModelDefinition... others) {
    Map<String, ModelDefinition> models = new java.util.HashMap<>();
    for (ModelDefinition o : others) {
      models.put(o.name(), o);
    }
    return ModelStepPolicies.of(m, n -> Optional.ofNullable(models.get(n)), n -> Optional.ofNullable(PROVIDERS.get(n)));
  }

  @Test
  void oneAttemptTriesEachTargetOnceAndTheEngineRetriesWithTheModelsPolicy() {
    ModelCallPolicy p = policy(model("a", null, List.of(), "fast", "slow"));
    // One activity attempt: each target once (10 s + 60 s); the engine's retries: the registry default.
    assertThat(p.timeoutMillis()).isEqualTo(70_000);
    assertThat(p.maxAttempts()).isEqualTo(3);
    assertThat(p.initialIntervalMillis()).isEqualTo(200);
    assertThat(p.backoff()).isEqualTo(2.0);
    assertThat(p.maxIntervalMillis()).isEqualTo(10_000);
  }

  @Test
  void targetsAndFallbacksAddUpAndAMissingProviderCountsWithTheDefaultTimeout() {
    RetrySpec once = new RetrySpec(1, Duration.ofMillis(100), 1.0, Duration.ofSeconds(1));
    ModelDefinition small = model("small", once, List.of("a"), "default");
    ModelDefinition a = model("a", once, List.of("small", "gone"), "fast", "slow", "missing");
    // a: 10 + 60 + 120 (missing: the default); small: 120 (default); the loop back to a counts once.
    assertThat(policy(a, small).timeoutMillis()).isEqualTo(310_000);
    assertThat(policy(a, small).maxAttempts()).isEqualTo(1);
  }

  @Test
  void theTimeoutIsBoundedBothWays() {
    RetrySpec many = new RetrySpec(20, Duration.ofMillis(100), 2.0, Duration.ofMinutes(1));
    String[] sixtyOneSlow = java.util.Collections.nCopies(61, "slow").toArray(String[]::new);
    assertThat(policy(model("big", many, List.of(), sixtyOneSlow)).timeoutMillis())
        .isEqualTo(ModelStepPolicies.MAX_TIMEOUT.toMillis());
    ModelDefinition none = new ModelDefinition("none", null, List.of(), List.of(), null, null, null, null);
    assertThat(policy(none).timeoutMillis()).isEqualTo(ModelStepPolicies.MIN_TIMEOUT.toMillis());
  }
}
