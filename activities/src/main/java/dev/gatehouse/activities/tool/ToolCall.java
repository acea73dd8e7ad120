package dev.gatehouse.activities.tool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.chain.GovernedCall;
import dev.gatehouse.activities.mcp.McpRoute;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.workflows.tool.Caller;
import java.util.Objects;

/**
 * One tool call for {@link ToolInvoker} to govern: which tool (its gateway name) with which
 * arguments, on whose behalf, in which context. The direct path may add the MCP route the call
 * goes through ({@link #via}) and the agent as its request was just authenticated ({@link
 * #authenticatedAs}); without them an MCP tool is called through the shared client and the agent
 * is read as it is now. Start from {@link #of}.
 *
 * @param route null: the gateway's shared MCP client
 * @param authenticatedAgent null: read the agent now (a task's step may run long after submit)
 */
public record ToolCall(
    String tool, JsonNode args, Caller caller, CallContext context, McpRoute route, Agent authenticatedAgent)
    implements GovernedCall {

  public ToolCall {
    Objects.requireNonNull(tool, "tool");
    Objects.requireNonNull(context, "context");
  }

  public static ToolCall of(String tool, JsonNode args, Caller caller, CallContext context) {
    return new ToolCall(tool, args, caller, context, null, null);
  }

  /** This call, with an MCP tool called through {@code route} (an agent session's own client). */
  public ToolCall via(McpRoute route) {
    return new ToolCall(tool, args, caller, context, route, authenticatedAgent);
  }

  /**
   * This call, made by {@code agent} as the request was just authenticated (as fresh as the
   * authentication, so an admin change to the agent takes effect at once): the agent is not read
   * again. Used only when it is the caller's agent.
   */
  public ToolCall authenticatedAs(Agent agent) {
    return new ToolCall(tool, args, caller, context, route, agent);
  }

  /** This call, in {@code context} instead (a step that filters what the call's progress reports say). */
  public ToolCall within(CallContext context) {
    return new ToolCall(tool, args, caller, context, route, authenticatedAgent);
  }

  @Override
  public String target() {
    return tool;
  }

  @Override
  public String taskId() {
    return context.taskId();
  }

  @Override
  public int attempt() {
    return context.attempt();
  }

  @Override
  public String requestId() {
    return context.requestId();
  }
}
