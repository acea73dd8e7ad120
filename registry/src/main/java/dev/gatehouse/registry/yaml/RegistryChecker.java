package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a parsed registry file as a whole and turns it into a {@link Registry} ready to apply:
 * every entry goes through its kind's check ({@link ToolEntries}, {@link McpServerEntries}, ...)
 * under its path in the file ({@code tenants[0].tools[2]}), and the rules across entries hold:
 * tenants, a tenant's agents, identity providers, tools, MCP servers and virtual servers are each
 * declared once, an agent's subject is unique in its tenant, and tool, MCP server, virtual
 * server, provider and model names and identity provider issuers are unique across the global
 * entries and all tenants. A model's providers and fallbacks are declared in the same file, where
 * its owner sees them (a tenant's own or global ones; a global model's, global), and its
 * fallbacks do not loop.
 */
public final class RegistryChecker {
  private RegistryChecker() {}

  /** The checked registry; throws {@code invalid_registry} naming the first entry that is wrong. */
  public static Registry check(RegistryFile file) {
    Set<String> toolNames = new HashSet<>();
    List<ToolDefinition> tools = tools("tools", file.tools(), toolNames);
    Map<String, String> serverOwners = new HashMap<>();
    Map<String, List<Prefixed>> prefixes = new HashMap<>();
    List<McpServerDefinition> servers = mcpServers("mcpServers", null, file.mcpServers(), serverOwners, prefixes);
    Map<String, String> virtualOwners = new HashMap<>();
    List<VirtualServer> virtuals = virtualServers("virtualServers", null, file.virtualServers(), virtualOwners);
    Map<String, String> providerOwners = new HashMap<>();
    List<ProviderDefinition> providers = modelProviders("providers", null, file.providers(), providerOwners);
    Map<String, String> modelOwners = new HashMap<>();
    List<Checked> models = new ArrayList<>();
    List<ModelDefinition> globalModels = models("models", null, file.models(), modelOwners, models);
    Map<String, String> policyOwners = new HashMap<>();
    List<PolicyDefinition> globalPolicies = policies("policies", null, file.policies(), policyOwners);
    List<Registry.TenantSpec> tenants = new ArrayList<>();
    Set<String> tenantNames = new HashSet<>();
    Map<String, String> issuerOwners = new HashMap<>();
    List<RegistryFile.Tenant> fileTenants = file.tenants() == null ? List.of() : file.tenants();
    for (int i = 0; i < fileTenants.size(); i++) {
      String where = "tenants[" + i + "]";
      RegistryFile.Tenant t = fileTenants.get(i);
      EntryChecks.name(where + ".name", t == null ? null : t.name());
      if (!tenantNames.add(t.name())) {
        throw bad(where, "tenant '" + t.name() + "' is declared twice");
      }
      tenants.add(
          new Registry.TenantSpec(
              t.name(),
              agents(where + ".agents", t.agents()),
              providers(where + ".identityProviders", t.name(), t.identityProviders(), issuerOwners),
              tools(where + ".tools", t.tools(), toolNames),
              mcpServers(where + ".mcpServers", t.name(), t.mcpServers(), serverOwners, prefixes),
              virtualServers(where + ".virtualServers", t.name(), t.virtualServers(), virtualOwners),
              modelProviders(where + ".providers", t.name(), t.providers(), providerOwners),
              models(where + ".models", t.name(), t.models(), modelOwners, models),
              policies(where + ".policies", t.name(), t.policies(), policyOwners)));
    }
    references(models, providerOwners, modelOwners);
    return new Registry(tools, servers, virtuals, providers, globalModels, tenants, globalPolicies);
  }

  /** A checked model, where it was written and its owner's name (null: global). */
  private record Checked(String where, ModelDefinition model, String tenant) {}

  private static List<ProviderDefinition> modelProviders(
      String where, String tenant, List<RegistryFile.Provider> entries, Map<String, String> owners) {
    List<ProviderDefinition> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      ProviderDefinition provider = ProviderEntries.check(at, entries.get(i));
      unique(at, "provider", provider.name(), tenant, owners);
      out.add(provider);
    }
    return out;
  }

  /** The entries' models; each is also added to {@code all}, for the checks across them. */
  private static List<ModelDefinition> models(
      String where, String tenant, List<RegistryFile.Model> entries, Map<String, String> owners, List<Checked> all) {
    List<ModelDefinition> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      ModelDefinition model = ModelEntries.check(at, entries.get(i));
      unique(at, "model", model.name(), tenant, owners);
      out.add(model);
      all.add(new Checked(at, model, tenant));
    }
    return out;
  }

  /**
   * Each model's providers and fallbacks are visible to its owner ({@code *Owners} map each name
   * to its tenant, "" for global), and no fallbacks loop.
   */
  private static void references(List<Checked> models, Map<String, String> providerOwners, Map<String, String> modelOwners) {
    Map<String, List<String>> fallbacks = new HashMap<>();
    models.forEach(c -> fallbacks.put(c.model().name(), c.model().fallbacks()));
    for (Checked c : models) {
      String owner = c.tenant() == null ? "" : c.tenant();
      ModelEntries.references(
          c.where(), c.model(), c.tenant(),
          name -> visible(providerOwners.get(name), owner),
          name -> visible(modelOwners.get(name), owner));
    }
    for (Checked c : models) {
      List<String> cycle = ModelEntries.cycle(c.model().name(), name -> fallbacks.getOrDefault(name, List.of()));
      if (!cycle.isEmpty()) {
        throw ModelEntries.loop(c.where() + " (" + c.model().name() + ")", cycle);
      }
    }
  }

  /** True when an entry of {@code owner} ("" global) is visible to one of {@code viewer}. */
  private static boolean visible(String owner, String viewer) {
    return owner != null && (owner.isEmpty() || owner.equals(viewer));
  }

  /** Tool names are unique across the whole registry, so {@code names} spans the global list and every tenant's. */
  private static List<ToolDefinition> tools(String where, List<RegistryFile.Tool> entries, Set<String> names) {
    List<ToolDefinition> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      ToolDefinition tool = ToolEntries.check(at, entries.get(i));
      if (!names.add(tool.name())) {
        throw new RegistryException("invalid_registry", at + ": tool '" + tool.name() + "' is declared twice");
      }
      out.add(tool);
    }
    return out;
  }

  /**
   * {@code owners} maps every name seen so far to its tenant's name ("" for global), since names
   * are unique across the whole registry and the message should say where the other one is.
   */
  private static List<McpServerDefinition> mcpServers(
      String where, String tenant, List<RegistryFile.McpServer> entries, Map<String, String> owners,
      Map<String, List<Prefixed>> prefixes) {
    List<McpServerDefinition> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      McpServerDefinition server = McpServerEntries.check(at, entries.get(i));
      unique(at, "MCP server", server.name(), tenant, owners);
      prefixFree(at, server, tenant, prefixes);
      out.add(server);
    }
    return out;
  }

  /** An MCP server with a prefix, and its owner's name (null: global). */
  private record Prefixed(String tenant, String server) {}

  /**
   * Two servers the same agents see (both global, one global, or both of one tenant) may not
   * share a prefix: one's tools would hide the other's of the same name. Servers without one are
   * not checked. {@code prefixes} maps every prefix seen so far to the servers that use it.
   */
  private static void prefixFree(String at, McpServerDefinition server, String tenant, Map<String, List<Prefixed>> prefixes) {
    String prefix = server.effectivePrefix();
    if (prefix.isEmpty()) {
      return;
    }
    List<Prefixed> users = prefixes.computeIfAbsent(prefix, p -> new ArrayList<>());
    for (Prefixed other : users) {
      if (tenant == null || other.tenant() == null || tenant.equals(other.tenant())) {
        throw new RegistryException(
            "invalid_registry",
            at + ": MCP server '" + server.name() + "' has the prefix '" + prefix + "' of MCP server '" + other.server()
                + "', whose tools the same agents see; give one of them another prefix");
      }
    }
    users.add(new Prefixed(tenant, server.name()));
  }

  private static List<PolicyDefinition> policies(
      String where, String tenant, List<PolicyDefinition> entries, Map<String, String> owners) {
    List<PolicyDefinition> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      PolicyDefinition policy = PolicyEntries.check(at, entries.get(i));
      unique(at, "policy", policy.name(), tenant, owners);
      out.add(policy);
    }
    return out;
  }

  private static List<VirtualServer> virtualServers(
      String where, String tenant, List<RegistryFile.VirtualServer> entries, Map<String, String> owners) {
    List<VirtualServer> out = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      VirtualServer server = VirtualServerEntries.check(at, entries.get(i));
      unique(at, "virtual server", server.name(), tenant, owners);
      out.add(server);
    }
    return out;
  }

  private static void unique(String where, String kind, String name, String tenant, Map<String, String> owners) {
    String owner = tenant == null ? "" : tenant;
    String previous = owners.putIfAbsent(name, owner);
    if (previous == null) {
      return;
    }
    String problem;
    if (previous.isEmpty() && !owner.isEmpty()) {
      problem = "clashes with the global " + kind + " of that name";
    } else if (!previous.equals(owner)) {
      problem = "is also declared by tenant '" + previous + "' (names are unique across tenants)";
    } else {
      problem = "is declared twice";
    }
    throw new RegistryException("invalid_registry", where + ": " + kind + " '" + name + "' " + problem);
  }

  private static List<Registry.AgentSpec> agents(String where, List<RegistryFile.Agent> entries) {
    List<Registry.AgentSpec> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> subjects = new HashSet<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      RegistryFile.Agent a = entries.get(i);
      // A second agent of the same name is reported as such before anything else wrong with it.
      EntryChecks.name(at + ".name", a == null ? null : a.name());
      if (!names.add(a.name())) {
        throw bad(at, "agent '" + a.name() + "' is declared twice");
      }
      Registry.AgentSpec agent = AgentEntries.check(at, a);
      if (agent.subject() != null && !subjects.add(agent.subject())) {
        throw bad(at, "subject '" + agent.subject() + "' is used by another agent of this tenant (subjects are unique in a tenant)");
      }
      out.add(agent);
    }
    return out;
  }

  /**
   * A tenant's providers: names unique within the tenant, issuers unique across all tenants
   * ({@code issuerOwners} maps each issuer seen to its tenant's name), as the database requires.
   */
  private static List<IdentityProvider> providers(
      String where, String tenant, List<RegistryFile.IdentityProvider> entries, Map<String, String> issuerOwners) {
    List<IdentityProvider> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      IdentityProvider p = IdentityProviderEntries.check(at, entries.get(i));
      if (!names.add(p.name())) {
        throw bad(at, "identity provider '" + p.name() + "' is declared twice");
      }
      String previous = issuerOwners.putIfAbsent(p.issuer(), tenant);
      if (previous != null) {
        throw bad(
            at,
            "issuer '" + p.issuer() + "' is also used by "
                + (previous.equals(tenant) ? "another identity provider of this tenant" : "tenant '" + previous + "'")
                + " (issuers are unique across tenants)");
      }
      out.add(p);
    }
    return out;
  }
}
