package dev.gatehouse.registry.yaml;

import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.util.List;

/** A checked registry file, ready to apply. Tenant-owned entries carry no tenant id until applied. */
public record Registry(
    List<ToolDefinition> tools,
    List<McpServerDefinition> mcpServers,
    List<VirtualServer> virtualServers,
    List<ProviderDefinition> providers,
    List<ModelDefinition> models,
    List<TenantSpec> tenants,
    List<PolicyDefinition> policies) {

  /** A registry without providers or models. */
  public Registry(
      List<ToolDefinition> tools, List<McpServerDefinition> mcpServers, List<VirtualServer> virtualServers,
      List<TenantSpec> tenants) {
    this(tools, mcpServers, virtualServers, List.of(), List.of(), tenants);
  }

  /** A registry without global policies. */
  public Registry(
      List<ToolDefinition> tools, List<McpServerDefinition> mcpServers, List<VirtualServer> virtualServers,
      List<ProviderDefinition> providers, List<ModelDefinition> models, List<TenantSpec> tenants) {
    this(tools, mcpServers, virtualServers, providers, models, tenants, List.of());
  }

  public record TenantSpec(
      String name,
      List<AgentSpec> agents,
      List<IdentityProvider> identityProviders,
      List<ToolDefinition> tools,
      List<McpServerDefinition> mcpServers,
      List<VirtualServer> virtualServers,
      List<ProviderDefinition> providers,
      List<ModelDefinition> models,
      List<PolicyDefinition> policies) {

    public TenantSpec(
        String name, List<AgentSpec> agents, List<IdentityProvider> identityProviders, List<ToolDefinition> tools,
        List<McpServerDefinition> mcpServers, List<VirtualServer> virtualServers) {
      this(name, agents, identityProviders, tools, mcpServers, virtualServers, List.of(), List.of());
    }

    /** A tenant without policies. */
    public TenantSpec(
        String name, List<AgentSpec> agents, List<IdentityProvider> identityProviders, List<ToolDefinition> tools,
        List<McpServerDefinition> mcpServers, List<VirtualServer> virtualServers, List<ProviderDefinition> providers,
        List<ModelDefinition> models) {
      this(name, agents, identityProviders, tools, mcpServers, virtualServers, providers, models, List.of());
    }
  }

  public record AgentSpec(String name, String subject, Permissions permissions) {}

  public List<ToolDefinition> allTools() {
    List<ToolDefinition> all = new java.util.ArrayList<>(tools);
    tenants.forEach(t -> all.addAll(t.tools()));
    return all;
  }

  public List<McpServerDefinition> allMcpServers() {
    List<McpServerDefinition> all = new java.util.ArrayList<>(mcpServers);
    tenants.forEach(t -> all.addAll(t.mcpServers()));
    return all;
  }

  public List<VirtualServer> allVirtualServers() {
    List<VirtualServer> all = new java.util.ArrayList<>(virtualServers);
    tenants.forEach(t -> all.addAll(t.virtualServers()));
    return all;
  }

  public List<ProviderDefinition> allProviders() {
    List<ProviderDefinition> all = new java.util.ArrayList<>(providers);
    tenants.forEach(t -> all.addAll(t.providers()));
    return all;
  }

  public List<ModelDefinition> allModels() {
    List<ModelDefinition> all = new java.util.ArrayList<>(models);
    tenants.forEach(t -> all.addAll(t.models()));
    return all;
  }

  public List<PolicyDefinition> allPolicies() {
    List<PolicyDefinition> all = new java.util.ArrayList<>(policies);
    tenants.forEach(t -> all.addAll(t.policies()));
    return all;
  }
}
