package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;

/**
 * Checks the agent may use the tool at the time of the call (not only when its task was
 * submitted): the agent's allow and deny lists, narrowed by its token's scopes.
 */
public final class AuthorizeTool implements PolicyStep<ToolExchange> {

  @Override
  public Decision before(ToolExchange exchange) {
    ToolCall call = exchange.request();
    return AccessPolicy.tool(exchange.agent().permissions(), call.caller().scopes(), call.tool());
  }
}
