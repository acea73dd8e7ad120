package dev.gatehouse.activities.tool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.HttpToolConnector;
import dev.gatehouse.activities.mcp.McpRoute;
import dev.gatehouse.activities.mcp.McpToolCalls;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.tools.ArgumentSchemaPolicy;
import dev.gatehouse.policies.tools.ToolArgumentsPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.time.Instant;
import org.jdbi.v3.core.Jdbi;

/**
 * The governed call of a tool, the same on every path (pipeline steps, durable and direct MCP
 * calls): look the tool up in the caller's tenant (an HTTP tool, else a discovered MCP tool), check the caller may use it (now, not at
 * submit time), check the arguments (URL placeholders, then the tool's inputSchema), fill in the
 * upstream credentials, call the connector, record metrics and one audit row.
 * Knows nothing of Temporal: failures are {@link ToolCallException}s that say whether a retry
 * could help.
 */
public class ToolInvoker {
  private final ToolCatalog tools;
  private final AgentDao agents;
  private final ToolArgumentsPolicy argumentsPolicy;
  private final ArgumentSchemaPolicy schemaPolicy = new ArgumentSchemaPolicy();
  private final HttpToolConnector http;
  private final GatehouseMetrics metrics;
  private final AuditLog audit;
  private final UpstreamCredentials credentials;
  private final McpToolResolver mcpTools;
  private final McpToolCalls mcpCalls;

  public ToolInvoker(
      Jdbi jdbi,
      ToolCatalog tools,
      ToolArgumentsPolicy argumentsPolicy,
      HttpToolConnector http,
      UpstreamCredentials credentials,
      GatehouseMetrics metrics,
      AuditLog audit,
      McpToolResolver mcpTools,
      McpToolCalls mcpCalls) {
    this.credentials = credentials;
    this.mcpTools = mcpTools;
    this.mcpCalls = mcpCalls;
    this.tools = tools;
    this.agents = jdbi.onDemand(AgentDao.class);
    this.argumentsPolicy = argumentsPolicy;
    this.http = http;
    this.metrics = metrics;
    this.audit = audit;
  }

  /**
   * Runs {@code call}: its result, or a {@link ToolCallException} whose type and retryability say
   * what failed. Either way, one attempt is counted in the metrics and one audit row recorded.
   */
  public ToolCallResult invoke(ToolCall call) {
    String toolName = call.tool();
    JsonNode args = call.args();
    Caller caller = call.caller();
    CallContext ctx = call.context();
    McpRoute route = call.route();
    Agent authenticated = call.authenticatedAgent();
    long start = System.nanoTime();
    String outcome = "ok";
    String policy = null;
    try {
      Agent agent =
          caller == null
              ? null
              : authenticated != null && authenticated.id().equals(caller.agentId())
                  ? authenticated
                  : agents.find(caller.agentId()).orElse(null);
      if (agent == null || !agent.tenantId().equals(caller.tenantId())) {
        policy = AccessPolicy.NAME;
        throw new ToolCallException(ToolFailureTypes.TOOL_NOT_ALLOWED, "the agent of this task no longer exists", false);
      }
      ToolDefinition tool =
          tools
              .find(toolName)
              .filter(t -> t.tenantId() == null || t.tenantId().equals(caller.tenantId()))
              .orElse(null);
      if (tool == null) {
        McpToolResolver.McpItem mcp =
            mcpTools
                .find(caller.tenantId(), McpCatalogEntry.TOOL, toolName)
                .orElseThrow(
                    () ->
                        new ToolCallException(
                            ToolFailureTypes.UNKNOWN_TOOL, "tool '" + toolName + "' is not in the registry", false));
        Decision access = AccessPolicy.tool(agent.permissions(), caller.scopes(), toolName);
        if (!access.allowed()) {
          policy = access.policy();
          throw new ToolCallException(ToolFailureTypes.TOOL_NOT_ALLOWED, access.reason(), false);
        }
        Decision arguments = schemaPolicy.check(toolName, mcp.inputSchema(), args);
        if (!arguments.allowed()) {
          policy = arguments.policy();
          throw new ToolCallException(ToolFailureTypes.INVALID_ARGUMENTS, arguments.reason(), false);
        }
        return mcpCalls.call(mcp, args, ctx, route == null ? mcpCalls.sharedRoute() : route);
      }
      Decision access = AccessPolicy.tool(agent.permissions(), caller.scopes(), tool.name());
      if (!access.allowed()) {
        policy = access.policy();
        throw new ToolCallException(ToolFailureTypes.TOOL_NOT_ALLOWED, access.reason(), false);
      }
      Decision arguments = argumentsPolicy.check(tool.name(), tool.http().placeholders(), args);
      if (arguments.allowed()) {
        arguments = schemaPolicy.check(tool.name(), tool.inputSchema(), args);
      }
      if (!arguments.allowed()) {
        policy = arguments.policy();
        throw new ToolCallException(ToolFailureTypes.INVALID_ARGUMENTS, arguments.reason(), false);
      }
      UpstreamCredentials.Resolved creds = credentials.resolve(tool);
      try {
        return http.call(tool, args, ctx.idempotencyKey(), creds.headers(), creds::redact);
      } catch (ToolCallException e) {
        // A 401 may mean the cached token was revoked early: fetch a new one once.
        if (e.httpStatus() == 401 && credentials.invalidate(tool)) {
          UpstreamCredentials.Resolved fresh = credentials.resolve(tool);
          return http.call(tool, args, ctx.idempotencyKey(), fresh.headers(), fresh::redact);
        }
        throw e;
      }
    } catch (ToolCallException e) {
      outcome = e.type();
      throw e;
    } catch (RuntimeException e) {
      outcome = "InternalError";
      throw e;
    } finally {
      double seconds = (System.nanoTime() - start) / 1e9;
      metrics.toolCall(toolName, outcome, ctx.attempt(), seconds);
      audit.record(
          new AuditEvent(
              Instant.now(),
              caller == null ? null : caller.tenantId(),
              caller == null ? null : caller.agentId(),
              caller == null ? null : caller.agentId(),
              null,
              ctx.taskId(),
              "tool.call",
              toolName,
              policy != null ? "deny" : "allow",
              outcome.equals("ok") ? "ok" : snake(outcome),
              (int) Math.round(seconds * 1000),
              policy,
              "attempt " + ctx.attempt()));
    }
  }

  private static String snake(String type) {
    return type.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
