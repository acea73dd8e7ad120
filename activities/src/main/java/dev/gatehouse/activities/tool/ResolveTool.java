package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.util.Optional;

/**
 * Finds the tool a call names among those the caller's tenant sees: a registered HTTP tool (its
 * tenant's or a global one) first, else a tool discovered on an MCP server; neither is an {@code
 * UnknownTool} failure. Runs after {@code ResolveAgent}, which denies a call without a caller.
 */
public final class ResolveTool implements PolicyStep<ToolExchange> {
  private final ToolCatalog tools;
  private final McpToolResolver mcpTools;

  public ResolveTool(ToolCatalog tools, McpToolResolver mcpTools) {
    this.tools = tools;
    this.mcpTools = mcpTools;
  }

  @Override
  public Decision before(ToolExchange exchange) {
    String name = exchange.request().tool();
    String tenantId = exchange.request().caller().tenantId();
    Optional<ToolDefinition> http = http(tenantId, name);
    if (http.isPresent()) {
      exchange.resolved(http.get());
      return PROCEED;
    }
    McpToolResolver.McpItem mcp =
        mcpTools
            .find(tenantId, McpCatalogEntry.TOOL, name)
            .orElseThrow(
                () -> new ToolCallException(ToolFailureTypes.UNKNOWN_TOOL, "tool '" + name + "' is not in the registry", false));
    exchange.resolved(mcp);
    return PROCEED;
  }

  /** Whether a call of an agent of {@code tenantId} naming {@code name} would find a tool now (an operator's view of a held call). */
  public boolean finds(String tenantId, String name) {
    return http(tenantId, name).isPresent() || mcpTools.find(tenantId, McpCatalogEntry.TOOL, name).isPresent();
  }

  /** The registered HTTP tool {@code name}, if the tenant sees it (its own, or a global one). */
  private Optional<ToolDefinition> http(String tenantId, String name) {
    return tools.find(name).filter(t -> t.tenantId() == null || t.tenantId().equals(tenantId));
  }
}
