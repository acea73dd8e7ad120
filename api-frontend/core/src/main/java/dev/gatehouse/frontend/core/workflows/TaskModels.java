package dev.gatehouse.frontend.core.workflows;

import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** The models a task submission names: found in the agent's tenant, allowed to it, and their call policy. */
final class TaskModels {
  private final ModelDao models;
  private final ProviderDao providers;
  private final DurableCalls durable;

  TaskModels(Jdbi jdbi, DurableCalls durable) {
    this.models = jdbi.onDemand(ModelDao.class);
    this.providers = jdbi.onDemand(ProviderDao.class);
    this.durable = durable;
  }

  /** The model named {@code name} that the tenant's agents may see (its own or a global one). */
  Optional<ModelDefinition> visible(String name, String tenantId) {
    return name == null ? Optional.empty() : models.find(name).filter(m -> m.tenantId() == null || m.tenantId().equals(tenantId));
  }

  /** Throws the audited 403 {@code model_not_allowed} when the agent (with its token's scopes) may not use {@code model}. */
  void authorize(AgentCaller caller, ModelDefinition model) {
    Decision mayUse = AccessPolicy.model(caller.agent().permissions(), caller.scopes(), model.name());
    if (!mayUse.allowed()) {
      throw durable.denied(caller, "task.submit", model.name(), mayUse);
    }
  }

  /** The timeout and retry policy of {@code model}'s {@code Model.Call} activities, from the registry now. */
  ModelCallPolicy policy(String tenantId, ModelDefinition model) {
    return ModelStepPolicies.of(
        model,
        name -> visible(name, tenantId),
        name -> providers.find(name).filter(p -> p.tenantId() == null || p.tenantId().equals(tenantId)));
  }
}
