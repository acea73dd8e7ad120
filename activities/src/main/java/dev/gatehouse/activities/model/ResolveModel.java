package dev.gatehouse.activities.model;

import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.models.ModelDefinition;

/** Finds the model the call's alias names among those the caller's tenant may see; else {@code model_not_found}. */
final class ResolveModel implements PolicyStep<ModelExchange> {
  static final String POLICY = "registry";

  private final ModelCatalog catalog;

  ResolveModel(ModelCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public Decision before(ModelExchange exchange) {
    ModelCall call = exchange.request();
    ModelDefinition model = catalog.model(call.alias(), call.caller().tenantId()).orElse(null);
    if (model == null) {
      return Decision.deny(POLICY, ModelCodes.MODEL_NOT_FOUND, "no model '" + call.alias() + "' is available to this agent");
    }
    exchange.model(model);
    return PROCEED;
  }
}
