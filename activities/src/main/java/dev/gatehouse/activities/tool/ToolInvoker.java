package dev.gatehouse.activities.tool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.http.HttpToolConnector;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.tools.ToolArgumentsPolicy;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import org.jdbi.v3.core.Jdbi;

/**
 * The governed call of a tool, the same on every path (pipeline steps today; MCP and the agent
 * loop later): look the tool up, run the policy chain, call the connector, record metrics.
 * Knows nothing of Temporal: failures are {@link ToolCallException}s that say whether a retry
 * could help.
 */
public class ToolInvoker {
  private final ToolDao tools;
  private final ToolArgumentsPolicy argumentsPolicy;
  private final HttpToolConnector http;
  private final GatehouseMetrics metrics;

  public ToolInvoker(
      Jdbi jdbi, ToolArgumentsPolicy argumentsPolicy, HttpToolConnector http, GatehouseMetrics metrics) {
    this.tools = jdbi.onDemand(ToolDao.class);
    this.argumentsPolicy = argumentsPolicy;
    this.http = http;
    this.metrics = metrics;
  }

  public ToolCallResult invoke(String toolName, JsonNode args, CallContext ctx) {
    long start = System.nanoTime();
    String outcome = "ok";
    try {
      ToolDefinition tool =
          tools
              .find(toolName)
              .orElseThrow(
                  () ->
                      new ToolCallException(
                          ToolFailureTypes.UNKNOWN_TOOL,
                          "tool '" + toolName + "' is not in the registry",
                          false));
      Decision decision = argumentsPolicy.check(tool.name(), tool.http().placeholders(), args);
      if (!decision.allowed()) {
        throw new ToolCallException(ToolFailureTypes.INVALID_ARGUMENTS, decision.reason(), false);
      }
      return http.call(tool, args, ctx.idempotencyKey());
    } catch (ToolCallException e) {
      outcome = e.type();
      throw e;
    } catch (RuntimeException e) {
      outcome = "InternalError";
      throw e;
    } finally {
      metrics.toolCall(toolName, outcome, ctx.attempt(), (System.nanoTime() - start) / 1e9);
    }
  }
}
