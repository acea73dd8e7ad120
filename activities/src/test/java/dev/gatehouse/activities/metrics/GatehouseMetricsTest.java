package dev.gatehouse.activities.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.gatehouse.activities.model.ModelUsage;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Collector;
import java.util.Collections;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** Model calls show up as calls, latency and TTFT histograms, tokens by kind and cost, by model, provider and agent. */
class GatehouseMetricsTest {
  private final CollectorRegistry registry = new CollectorRegistry();
  private final GatehouseMetrics metrics = new GatehouseMetrics(registry);

  private Double sample(String name, String[] labels, String... values) {
    return registry.getSampleValue(name, labels, values);
  }

  private static final String[] MPA = {"model", "provider", "agent"};

  @Test
  void aModelCallIsCountedTimedAndMetered() {
    metrics.modelCall("fast", "openai-main", "agt_a", "ok", 1.2, 0.3, new ModelUsage(1000, 400, 500, 200, false),
        new BigDecimal("0.007"));
    metrics.modelCall("fast", "openai-main", "agt_a", "ok", 0.8, null, new ModelUsage(10, 0, 5, 0, false), new BigDecimal("0.001"));

    assertThat(sample("gatehouse_model_calls_total", new String[] {"model", "provider", "agent", "outcome"},
        "fast", "openai-main", "agt_a", "ok")).isEqualTo(2.0);
    assertThat(sample("gatehouse_model_call_duration_seconds_count", MPA, "fast", "openai-main", "agt_a")).isEqualTo(2.0);
    assertThat(sample("gatehouse_model_call_duration_seconds_sum", MPA, "fast", "openai-main", "agt_a")).isCloseTo(2.0, offset(1e-9));
    // Only the streamed call has a time to first token.
    assertThat(sample("gatehouse_model_time_to_first_token_seconds_count", MPA, "fast", "openai-main", "agt_a")).isEqualTo(1.0);
    String[] kinds = {"model", "provider", "agent", "kind"};
    assertThat(sample("gatehouse_model_tokens_total", kinds, "fast", "openai-main", "agt_a", "input")).isEqualTo(1010.0);
    assertThat(sample("gatehouse_model_tokens_total", kinds, "fast", "openai-main", "agt_a", "cached_input")).isEqualTo(400.0);
    assertThat(sample("gatehouse_model_tokens_total", kinds, "fast", "openai-main", "agt_a", "output")).isEqualTo(505.0);
    assertThat(sample("gatehouse_model_tokens_total", kinds, "fast", "openai-main", "agt_a", "reasoning")).isEqualTo(200.0);
    assertThat(sample("gatehouse_model_cost_total", MPA, "fast", "openai-main", "agt_a")).isCloseTo(0.008, offset(1e-12));
  }

  @Test
  void aCallNoProviderAnsweredIsCountedUnderNone() {
    metrics.modelCall("fast", null, "agt_a", "upstream_unavailable", 3.0, null, null, null);

    assertThat(sample("gatehouse_model_calls_total", new String[] {"model", "provider", "agent", "outcome"},
        "fast", "none", "agt_a", "upstream_unavailable")).isEqualTo(1.0);
    assertThat(sample("gatehouse_model_call_duration_seconds_count", MPA, "fast", "none", "agt_a")).isEqualTo(1.0);
    assertThat(sample("gatehouse_model_tokens_total", new String[] {"model", "provider", "agent", "kind"}, "fast", "none", "agt_a", "input"))
        .isNull();
    assertThat(sample("gatehouse_model_cost_total", MPA, "fast", "none", "agt_a")).isNull();

    // And the families are registered with their types, as /metrics lists them.
    java.util.Map<String, Collector.Type> families = new java.util.HashMap<>();
    for (Collector.MetricFamilySamples f : Collections.list(registry.metricFamilySamples())) {
      families.put(f.name, f.type);
    }
    assertThat(families)
        .containsEntry("gatehouse_model_calls", Collector.Type.COUNTER)
        .containsEntry("gatehouse_model_call_duration_seconds", Collector.Type.HISTOGRAM)
        .containsEntry("gatehouse_model_time_to_first_token_seconds", Collector.Type.HISTOGRAM)
        .containsEntry("gatehouse_model_tokens", Collector.Type.COUNTER)
        .containsEntry("gatehouse_model_cost", Collector.Type.COUNTER);
  }
}
