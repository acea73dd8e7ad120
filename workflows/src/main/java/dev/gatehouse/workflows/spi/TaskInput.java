package dev.gatehouse.workflows.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.tool.Caller;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one argument of a workflow written against the SPI: the agent's input, and what the gateway
 * checked at submit. Hand it to {@link Governed#of} and call tools and models through that.
 *
 * @param input the task's {@code input} as submitted (a JSON object), after {@link
 *     GatehouseWorkflow#validate}
 * @param caller who the task acts for (checked again at every call)
 * @param tools the tools of {@link GatehouseWorkflow#tools()}, by registry name
 * @param models the models of {@link GatehouseWorkflow#models()}, by alias: their timeout and
 *     retry policy
 * @param approvalTimeoutMillis how long a call waits for an approval before it counts as denied
 */
public record TaskInput(
    JsonNode input,
    Caller caller,
    Map<String, ToolGrant> tools,
    Map<String, ModelCallPolicy> models,
    long approvalTimeoutMillis) {
  public TaskInput {
    // Sorted, so workflow code that walks them does so in the same order on every replay.
    tools = tools == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(tools));
    models = models == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(models));
  }
}
