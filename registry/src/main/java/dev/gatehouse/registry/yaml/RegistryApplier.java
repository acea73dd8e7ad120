package dev.gatehouse.registry.yaml;

import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import dev.gatehouse.registry.mcp.McpPrefixTaken;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.Tenant;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Applies a checked {@link Registry} to the database idempotently: applying the same registry
 * twice changes nothing the second time. Tenants are matched by name, agents and identity
 * providers by (tenant, name), tools, MCP servers, virtual servers, model providers and models by name; each is created or
 * brought in line with the file. Nothing absent from the file is removed, and keys and secrets
 * are never touched. A tool, MCP server, model provider or identity provider whose definition the
 * file does not change keeps its egress guard (the file has no such flag, and an exported
 * registry applied back must not clear a tenant admin's guard); one the file changes or creates
 * is the platform's, unguarded. An MCP server of the file may not end up with the prefix of
 * another server the same agents see, stored or in the file ({@link McpPrefixTaken}).
 */
public final class RegistryApplier {

  /** What {@link #apply} did: how many entries the registry has, and how many of them changed something. */
  public record ApplyResult(
      int tenants, int agents, int identityProviders, int tools, int mcpServers, int virtualServers,
      int providers, int models, int policies, int changed) {

    /** The result of a registry without providers, models or policies. */
    public ApplyResult(
        int tenants, int agents, int identityProviders, int tools, int mcpServers, int virtualServers, int changed) {
      this(tenants, agents, identityProviders, tools, mcpServers, virtualServers, 0, 0, 0, changed);
    }
  }

  private RegistryApplier() {}

  /**
   * The key of the transaction-scoped advisory lock that registry writes by name take ({@link
   * #lockNames}): a file applied by several replicas starting at once (each given the same
   * registry, as deployment.md says they may be), or by two admin requests at once.
   */
  static final long NAMES_LOCK = 0x67_68_72_65_67_6e_6d_73L; // "ghregnms"

  /**
   * Applies the whole registry in one transaction, so a failure leaves the database as it was.
   * Applies run one at a time ({@link #lockNames}): two replicas applying the same file at once
   * both succeed, the second changing nothing.
   */
  public static ApplyResult apply(Jdbi jdbi, Registry registry) {
    return jdbi.inTransaction(h -> apply(h, registry));
  }

  /**
   * Waits, in {@code h}'s transaction, until no other transaction writes tenants, agents or other
   * entries by name (a registry apply, a key the configuration names), and holds that until this
   * one ends. Each looks up what is there and inserts what is not: two at once both found a new
   * tenant missing, and the second's insert failed on its unique name (a replica died at start).
   */
  public static void lockNames(Handle h) {
    h.execute("SELECT pg_advisory_xact_lock(?)", NAMES_LOCK);
  }

  /** Applies the whole registry in {@code h}'s transaction, after the others ({@link #lockNames}). */
  static ApplyResult apply(Handle h, Registry registry) {
    lockNames(h);
    ToolDao tools = h.attach(ToolDao.class);
    TenantDao tenants = h.attach(TenantDao.class);
    AgentDao agents = h.attach(AgentDao.class);
    IdentityProviderDao providers = h.attach(IdentityProviderDao.class);
    McpServerDao servers = h.attach(McpServerDao.class);
    VirtualServerDao virtuals = h.attach(VirtualServerDao.class);
    ProviderDao modelProviders = h.attach(ProviderDao.class);
    ModelDao models = h.attach(ModelDao.class);
    PolicyDao policies = h.attach(PolicyDao.class);
    int changed = 0;
    int agentCount = 0;
    int providerCount = 0;
    for (ToolDefinition tool : registry.tools()) {
      changed += owned(tools.find(tool.name()), ToolDefinition::tenantId, null, "tool", tool.name()) && tools.applyFromRegistry(tool) ? 1 : 0;
    }
    if (!registry.allMcpServers().isEmpty()) {
      servers.lockWrites();
    }
    List<McpServerDefinition> written = new ArrayList<>(registry.mcpServers());
    for (McpServerDefinition server : registry.mcpServers()) {
      changed += owned(servers.find(server.name()), McpServerDefinition::tenantId, null, "MCP server", server.name()) && servers.applyFromRegistry(server) ? 1 : 0;
    }
    for (VirtualServer server : registry.virtualServers()) {
      changed += owned(virtuals.find(server.name()), VirtualServer::tenantId, null, "virtual server", server.name()) && virtuals.upsert(server) ? 1 : 0;
    }
    for (ProviderDefinition provider : registry.providers()) {
      changed += owned(modelProviders.find(provider.name()), ProviderDefinition::tenantId, null, "provider", provider.name()) && modelProviders.applyFromRegistry(provider) ? 1 : 0;
    }
    for (ModelDefinition model : registry.models()) {
      changed += owned(models.find(model.name()), ModelDefinition::tenantId, null, "model", model.name()) && models.upsert(model) ? 1 : 0;
    }
    for (PolicyDefinition policy : registry.policies()) {
      changed += owned(policies.find(policy.name()), PolicyDefinition::tenantId, null, "policy", policy.name()) && policies.upsert(policy) ? 1 : 0;
    }
    for (Registry.TenantSpec spec : registry.tenants()) {
      Tenant tenant = tenants.findByName(spec.name()).orElse(null);
      if (tenant == null) {
        tenants.insert(Ids.newId("ten"), spec.name());
        tenant = tenants.findByName(spec.name()).orElseThrow();
        changed++;
      }
      for (Registry.AgentSpec a : spec.agents()) {
        agentCount++;
        changed += applyAgent(agents, tenant.id(), a) ? 1 : 0;
      }
      for (IdentityProvider p : spec.identityProviders()) {
        providerCount++;
        changed += applyProvider(providers, tenant.id(), p) ? 1 : 0;
      }
      for (ToolDefinition tool : spec.tools()) {
        changed += owned(tools.find(tool.name()), ToolDefinition::tenantId, tenant, "tool", tool.name()) && tools.applyFromRegistry(tool.withTenant(tenant.id())) ? 1 : 0;
      }
      for (McpServerDefinition server : spec.mcpServers()) {
        McpServerDefinition ofTenant = server.withTenant(tenant.id());
        written.add(ofTenant);
        changed += owned(servers.find(server.name()), McpServerDefinition::tenantId, tenant, "MCP server", server.name()) && servers.applyFromRegistry(ofTenant) ? 1 : 0;
      }
      for (VirtualServer server : spec.virtualServers()) {
        changed += owned(virtuals.find(server.name()), VirtualServer::tenantId, tenant, "virtual server", server.name()) && virtuals.upsert(server.withTenant(tenant.id())) ? 1 : 0;
      }
      for (ProviderDefinition provider : spec.providers()) {
        changed += owned(modelProviders.find(provider.name()), ProviderDefinition::tenantId, tenant, "provider", provider.name()) && modelProviders.applyFromRegistry(provider.withTenant(tenant.id())) ? 1 : 0;
      }
      for (ModelDefinition model : spec.models()) {
        changed += owned(models.find(model.name()), ModelDefinition::tenantId, tenant, "model", model.name()) && models.upsert(model.withTenant(tenant.id())) ? 1 : 0;
      }
      for (PolicyDefinition policy : spec.policies()) {
        changed += owned(policies.find(policy.name()), PolicyDefinition::tenantId, tenant, "policy", policy.name()) && policies.upsert(policy.withTenant(tenant.id())) ? 1 : 0;
      }
    }
    // checked once all are written, so a file that moves a prefix from one server to another passes
    for (McpServerDefinition server : written) {
      servers.refuseTakenPrefix(server);
    }
    return new ApplyResult(
        registry.tenants().size(), agentCount, providerCount, registry.allTools().size(),
        registry.allMcpServers().size(), registry.allVirtualServers().size(), registry.allProviders().size(),
        registry.allModels().size(), registry.allPolicies().size(), changed);
  }

  /**
   * True when the file may write the record named {@code name}: none is stored under that name, or
   * the stored one has the owner the file gives it ({@code tenant}, null for global). A record
   * stored under another owner is refused ({@code invalid_registry}, and the transaction rolls
   * back): the file would move it silently, taking it from the tenant that uses it (or making a
   * tenant's record global), which the admin API refuses too.
   */
  private static <R> boolean owned(
      java.util.Optional<R> stored, java.util.function.Function<R, String> tenantOf, Tenant tenant, String kind, String name) {
    String wanted = tenant == null ? null : tenant.id();
    if (stored.isPresent() && !Objects.equals(tenantOf.apply(stored.get()), wanted)) {
      String owner = tenantOf.apply(stored.get());
      throw new dev.gatehouse.registry.RegistryException(
          "invalid_registry",
          "the " + kind + " '" + name + "' is stored " + (owner == null ? "as global" : "under another tenant") + ", and the file puts it "
              + (tenant == null ? "as global" : "under tenant '" + tenant.name() + "'") + "; a record cannot change its owner (delete it first)");
    }
    return true;
  }

  /** Creates the agent or updates its subject and permissions; true when something changed. */
  private static boolean applyAgent(AgentDao agents, String tenantId, Registry.AgentSpec a) {
    Agent existing = agents.findByName(tenantId, a.name()).orElse(null);
    if (existing == null) {
      agents.insert(new Agent(Ids.newId("agt"), tenantId, a.name(), a.subject(), a.permissions(), null, null));
      return true;
    }
    if (!a.permissions().equals(existing.permissions()) || !Objects.equals(a.subject(), existing.subject())) {
      agents.update(existing.id(), a.name(), a.subject(), a.permissions());
      return true;
    }
    return false;
  }

  /**
   * Creates the provider or brings it in line, keeping its id (and its egress guard when nothing
   * else changes); true when something changed.
   */
  private static boolean applyProvider(IdentityProviderDao providers, String tenantId, IdentityProvider p) {
    IdentityProvider existing =
        providers.list(tenantId).stream().filter(x -> x.name().equals(p.name())).findFirst().orElse(null);
    IdentityProvider wanted = new IdentityProvider(
        existing == null ? Ids.newId("idp") : existing.id(), tenantId, p.name(), p.issuer(), p.audience(),
        p.jwksUrl(), p.algorithms(), p.agentClaim(), p.clockSkewSeconds());
    // The file holds no egress guard: a provider it does not change keeps the one a tenant
    // admin's write gave it (a round trip of the export must not un-guard anything).
    if (existing != null && wanted.equals(existing.withEgressGuarded(false))) {
      return false;
    }
    providers.upsert(wanted);
    return true;
  }
}
