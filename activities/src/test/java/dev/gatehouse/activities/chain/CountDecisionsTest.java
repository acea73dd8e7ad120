package dev.gatehouse.activities.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.workflows.tool.Caller;
import io.prometheus.client.CollectorRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decisions step counts what policies decided about every call, by policy name (no version)
 * and decision: what was applied (transformed, recorded), and the denial that stopped a call,
 * before it or after it.
 */
class CountDecisionsTest {
  private final CollectorRegistry registry = new CollectorRegistry();
  private final GatehouseMetrics metrics = new GatehouseMetrics(registry);

  private Double decisions(String policy, String decision) {
    return registry.getSampleValue(
        "gatehouse_policy_decisions_total", new String[] {"policy", "decision"}, new String[] {policy, decision});
  }

  private PolicyChain<Exchange<SampleCall, String>, String> chain(PolicyStep<Exchange<SampleCall, String>> policy) {
    return new PolicyChain<>(List.of(new CountDecisions(metrics), policy), x -> "ok", SampleCall.FAILURES);
  }

  private static Exchange<SampleCall, String> call() {
    return new Exchange<>(new SampleCall("t.echo", new Caller("ten_a", "agt_a", List.of()), null, "task-1", 1));
  }

  @Test
  void whatWasAppliedIsCountedByPolicyNameAndDecision() {
    PolicyStep<Exchange<SampleCall, String>> applies =
        new PolicyStep<>() {
          @Override
          public Decision before(Exchange<SampleCall, String> x) {
            x.applied(Decision.record("acme-rpm@3", "rate-limit: 41 requests left"));
            return PROCEED;
          }

          @Override
          public void after(Exchange<SampleCall, String> x) {
            x.applied(Decision.transform("acme-pii@7", "redacted EMAIL×1 in tool-results"));
          }
        };
    chain(applies).run(call());
    chain(applies).run(call());

    assertThat(decisions("acme-rpm", Decision.RECORDED)).isEqualTo(2.0);
    assertThat(decisions("acme-pii", Decision.TRANSFORMED)).isEqualTo(2.0);
    assertThat(decisions("acme-pii@7", Decision.TRANSFORMED)).as("the version is not a label").isNull();
  }

  @Test
  void aDenialIsCountedByItsCodeBeforeTheCallAndAfterIt() {
    PolicyStep<Exchange<SampleCall, String>> before =
        new PolicyStep<>() {
          @Override
          public Decision before(Exchange<SampleCall, String> x) {
            return Decision.deny("acme-budget@2", DenialCodes.BUDGET_EXCEEDED, "no");
          }
        };
    assertThatThrownBy(() -> chain(before).run(call()));
    PolicyStep<Exchange<SampleCall, String>> after =
        new PolicyStep<>() {
          @Override
          public void after(Exchange<SampleCall, String> x) {
            x.deny(Decision.deny("acme-guard@1", DenialCodes.GUARDRAIL_BLOCKED, "injection"));
          }
        };
    assertThatThrownBy(() -> chain(after).run(call()));

    assertThat(decisions("acme-budget", DenialCodes.BUDGET_EXCEEDED)).isEqualTo(1.0);
    assertThat(decisions("acme-guard", DenialCodes.GUARDRAIL_BLOCKED)).isEqualTo(1.0);
  }

  @Test
  void aBuiltInPolicyWithoutAVersionIsCountedByItsName() {
    PolicyStep<Exchange<SampleCall, String>> access =
        new PolicyStep<>() {
          @Override
          public Decision before(Exchange<SampleCall, String> x) {
            return Decision.deny("access", DenialCodes.TOOL_NOT_ALLOWED, "no");
          }
        };
    assertThatThrownBy(() -> chain(access).run(call()));

    assertThat(decisions("access", DenialCodes.TOOL_NOT_ALLOWED)).isEqualTo(1.0);
  }
}
