package dev.gatehouse.registry.yaml;

import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.util.List;

/** A checked registry file, ready to apply. Tenant-owned entries carry no tenant id until applied. */
public record Registry(List<ToolDefinition> tools, List<TenantSpec> tenants) {

  public record TenantSpec(String name, List<AgentSpec> agents, List<IdentityProvider> identityProviders, List<ToolDefinition> tools) {}

  public record AgentSpec(String name, String subject, Permissions permissions) {}

  public List<ToolDefinition> allTools() {
    List<ToolDefinition> all = new java.util.ArrayList<>(tools);
    tenants.forEach(t -> all.addAll(t.tools()));
    return all;
  }
}
