package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.chain.UpstreamCall;
import dev.gatehouse.activities.mcp.McpToolCalls;
import dev.gatehouse.workflows.tool.ToolCallResult;

/**
 * Calls a discovered MCP tool through the call's route (an agent session's own upstream client),
 * else through the gateway's shared client.
 */
public final class CallMcpTool implements UpstreamCall<ToolExchange, ToolCallResult> {
  private final McpToolCalls mcpCalls;

  public CallMcpTool(McpToolCalls mcpCalls) {
    this.mcpCalls = mcpCalls;
  }

  @Override
  public ToolCallResult call(ToolExchange exchange) {
    ToolCall call = exchange.request();
    return mcpCalls.call(
        exchange.mcpTool(), call.args(), call.context(), call.route() == null ? mcpCalls.sharedRoute() : call.route());
  }
}
