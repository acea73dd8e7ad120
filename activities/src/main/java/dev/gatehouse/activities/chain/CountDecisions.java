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
      metrics.policyDecision(name(d.policy()), d.code());
    }
    Decision denial = exchange.denial();
    if (denial != null) {
      metrics.policyDecision(name(denial.policy()), denial.code());
    }
  }

  /** {@code name@version} less its version; another name as it is. */
  static String name(String policy) {
    if (policy == null) {
      return "unknown";
    }
    int at = policy.lastIndexOf('@');
    return at > 0 ? policy.substring(0, at) : policy;
  }
}
