package dev.gatehouse.registry.mcp;

import java.util.List;

/**
 * A named selection of tools exposed as its own MCP endpoint {@code /mcp/{name}}: gateway tool
 * names or patterns ({@code github.*}), across MCP servers and HTTP tools. An agent still sees
 * only the tools its permissions allow.
 */
public record VirtualServer(String name, String tenantId, String description, List<String> tools) {
  public VirtualServer {
    tools = tools == null ? List.of() : List.copyOf(tools);
  }

  public VirtualServer withTenant(String tenant) {
    return new VirtualServer(name, tenant, description, tools);
  }
}
