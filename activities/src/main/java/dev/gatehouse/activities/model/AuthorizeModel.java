package dev.gatehouse.activities.model;

import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;

/**
 * Checks the agent may use the model at the time of the call: its {@code models} allow and deny
 * lists, narrowed by its token's scopes ({@code model_not_allowed}).
 */
final class AuthorizeModel implements PolicyStep<ModelExchange> {

  @Override
  public Decision before(ModelExchange exchange) {
    ModelCall call = exchange.request();
    return AccessPolicy.model(exchange.agent().permissions(), call.caller().scopes(), call.alias());
  }
}
