package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.tool.ToolCallPolicy;

/**
 * A tool the agent loop offers the model.
 *
 * @param name the registry's name of the tool (what {@code Tool.Call} runs)
 * @param function the name the model calls it by: the registry name with every character a
 *     function name may not hold replaced (see {@link AgentTools#functionNames})
 * @param description what the model reads about it (null: none)
 * @param parameters the JSON Schema of its arguments (an object schema)
 * @param policy its timeout and retry policy, as the registry had it at submit time
 * @param approval whether each call waits for an operator's decision
 * @param approvalPolicy the version of the approval policy that holds its calls (null when none
 *     does, and in histories recorded before it was kept)
 */
public record AgentTool(
    String name,
    String function,
    String description,
    JsonNode parameters,
    ToolCallPolicy policy,
    boolean approval,
    String approvalPolicy) {

  /** A tool whose calls need no approval. */
  public AgentTool(String name, String function, String description, JsonNode parameters, ToolCallPolicy policy) {
    this(name, function, description, parameters, policy, false, null);
  }

  public AgentTool(String name, String function, String description, JsonNode parameters, ToolCallPolicy policy, boolean approval) {
    this(name, function, description, parameters, policy, approval, null);
  }
}
