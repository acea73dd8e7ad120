package dev.gatehouse.activities.chain;

import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentStatements;
import dev.gatehouse.workflows.tool.Caller;

/**
 * Finds the agent a call is made for, as it is now: the agent its request was just authenticated
 * as when given (no read), else the agent in the registry (a task's step may run long after
 * submit). An agent that is gone, or not of the caller's tenant, is denied by the access policy.
 */
public final class ResolveAgent implements PolicyStep<Exchange<?, ?>> {
  private final AgentStatements agents;
  private final Decision gone;

  /** {@code deniedCode}: the access denial's code for this kind of call (tool, model). */
  public ResolveAgent(AgentStatements agents, String deniedCode) {
    this.agents = agents;
    this.gone = Decision.deny(AccessPolicy.NAME, deniedCode, "the agent of this task no longer exists");
  }

  @Override
  public Decision before(Exchange<?, ?> exchange) {
    GovernedCall call = exchange.request();
    Caller caller = call.caller();
    if (caller == null) {
      return gone;
    }
    Agent authenticated = call.authenticatedAgent();
    Agent agent =
        authenticated != null && authenticated.id().equals(caller.agentId())
            ? authenticated
            : agents.find(caller.agentId()).orElse(null);
    if (agent == null || !agent.tenantId().equals(caller.tenantId())) {
      return gone;
    }
    exchange.resolvedAgent(agent);
    return PROCEED;
  }
}
