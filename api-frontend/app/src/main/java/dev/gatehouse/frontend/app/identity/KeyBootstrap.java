package dev.gatehouse.frontend.app.identity;

import dev.gatehouse.frontend.app.config.AuthConfig;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.keys.ApiKeyDao;
import dev.gatehouse.registry.keys.ApiKeys;
import dev.gatehouse.registry.tenants.Tenant;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.yaml.RegistryApplier;
import org.jdbi.v3.core.Jdbi;

/** Registers the keys named in the configuration (and dev mode's), creating their tenant and agent if needed. */
public final class KeyBootstrap {
  private KeyBootstrap() {}

  public static void apply(Jdbi jdbi, AuthConfig auth) {
    for (AuthConfig.AgentKey k : auth.getAgentKeys()) {
      if (k.key() != null && !k.key().isBlank()) {
        agentKey(jdbi, k.tenant(), k.agent(), k.key());
      }
    }
    for (AuthConfig.AdminKey k : auth.getAdminKeys()) {
      if (k.key() != null && !k.key().isBlank()) {
        jdbi.useExtension(ApiKeyDao.class, dao ->
            dao.insertAdminKey(ApiKeys.idOf(k.key()), null, k.name(), ApiKeys.prefixOf(k.key()), ApiKeys.hash(k.key()), null));
      }
    }
  }

  /** The agent a key belongs to, created (allowed everything) with its tenant when missing. */
  public static Agent agentKey(Jdbi jdbi, String tenantName, String agentName, String key) {
    return jdbi.inTransaction(h -> {
      RegistryApplier.lockNames(h); // replicas starting at once create the same tenant and agent
      TenantDao tenants = h.attach(TenantDao.class);
      AgentDao agents = h.attach(AgentDao.class);
      Tenant tenant = tenants.findByName(tenantName).orElseGet(() -> {
        String id = Ids.newId("ten");
        tenants.insert(id, tenantName);
        return tenants.find(id).orElseThrow();
      });
      Agent agent = agents.findByName(tenant.id(), agentName).orElseGet(() -> {
        agents.insert(new Agent(Ids.newId("agt"), tenant.id(), agentName, null, Permissions.ALL, null, null));
        return agents.findByName(tenant.id(), agentName).orElseThrow();
      });
      h.attach(ApiKeyDao.class)
          .insertAgentKey(ApiKeys.idOf(key), agent.id(), ApiKeys.prefixOf(key), ApiKeys.hash(key), null);
      return agent;
    });
  }
}
