package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.activities.mcp.McpToolResolver.McpItem;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.ToolCallResult;

/**
 * A tool call on its way through the tool chain, with the tool {@link ResolveTool} found for it:
 * an HTTP tool or a discovered MCP tool (exactly one once resolved).
 */
public final class ToolExchange extends Exchange<ToolCall, ToolCallResult> {
  private ToolDefinition httpTool;
  private McpItem mcpTool;

  public ToolExchange(ToolCall call) {
    super(call);
  }

  /** The registered HTTP tool called, or null (an MCP tool, or not resolved yet). */
  public ToolDefinition httpTool() {
    return httpTool;
  }

  /** The discovered MCP tool called, or null (an HTTP tool, or not resolved yet). */
  public McpItem mcpTool() {
    return mcpTool;
  }

  /** True once {@link ResolveTool} found the tool: an unknown name is not a metric's label. */
  @Override
  public boolean targetResolved() {
    return httpTool != null || mcpTool != null;
  }

  void resolved(ToolDefinition tool) {
    this.httpTool = tool;
  }

  void resolved(McpItem tool) {
    this.mcpTool = tool;
  }
}
