package dev.gatehouse.activities.chain;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.policies.Decision;

/**
 * Counts what policies decided about every governed call, whatever its outcome ({@code
 * gatehouse_policy_decisions_total}): each decision a step applied without refusing the call (a
 * redaction is {@code transformed}; a flag, a reservation or a rate limit's take is {@code
 * recorded}), and the denial that stopped it, by its code ({@code pii_detected}, {@code
 * rate_limited}, ...). Counted by the policy's name, without its version, so editing an entry
 * keeps its series.
 */
public final class CountDecisions implements PolicyStep<Exchange<?, ?>> {
  private final GatehouseMetrics metrics;

  public CountDecisions(GatehouseMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void complete(Exchange<?, ?> exchange) {
    for (Decision d : exchange.appliedDecisions()) {
      metrics.policyDecision(d);
    }
    Decision denial = exchange.denial();
    if (denial != null) {
      metrics.policyDecision(denial);
    }
  }
}
