package dev.gatehouse.activities.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.workflows.tool.Caller;
import io.prometheus.client.CollectorRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The metrics step counts every attempt by target, outcome and retry, denied and failed ones too. */
class RecordMetricsTest {
  private final CollectorRegistry registry = new CollectorRegistry();
  private final GatehouseMetrics metrics = new GatehouseMetrics(registry);

  private Double attempts(String tool, String outcome, String retry) {
    return registry.getSampleValue(
        "gatehouse_tool_call_attempts_total", new String[] {"tool", "outcome", "retry"}, new String[] {tool, outcome, retry});
  }

  private Double latencyCount(String tool, String outcome) {
    return registry.getSampleValue(
        "gatehouse_tool_call_duration_seconds_count", new String[] {"tool", "outcome"}, new String[] {tool, outcome});
  }

  private PolicyChain<Exchange<SampleCall, String>, String> chain(PolicyStep<Exchange<SampleCall, String>> policy) {
    return new PolicyChain<>(List.of(new RecordMetrics(metrics::toolCall), policy), x -> "ok", SampleCall.FAILURES);
  }

  private static Exchange<SampleCall, String> attempt(int n) {
    return new Exchange<>(new SampleCall("t.echo", new Caller("ten_a", "agt_a", List.of()), null, "task-1", n));
  }

  @Test
  void okAttemptsAreCountedAndTimedWithRetriesApart() {
    chain(new PolicyStep<>() {}).run(attempt(1));
    chain(new PolicyStep<>() {}).run(attempt(2));
    chain(new PolicyStep<>() {}).run(attempt(3));

    assertThat(attempts("t.echo", "ok", "false")).isEqualTo(1.0);
    assertThat(attempts("t.echo", "ok", "true")).isEqualTo(2.0);
    assertThat(latencyCount("t.echo", "ok")).isEqualTo(3.0);
  }

  @Test
  void aDeniedAttemptIsCountedUnderItsFailureType() {
    PolicyStep<Exchange<SampleCall, String>> deny =
        new PolicyStep<>() {
          @Override
          public Decision before(Exchange<SampleCall, String> x) {
            return Decision.deny("access", "tool_not_allowed", "no");
          }
        };
    assertThatThrownBy(() -> chain(deny).run(attempt(1)));

    assertThat(attempts("t.echo", "tool_not_allowed", "false")).isEqualTo(1.0);
    assertThat(latencyCount("t.echo", "tool_not_allowed")).isEqualTo(1.0);
    assertThat(attempts("t.echo", "ok", "false")).isNull();
  }
}
