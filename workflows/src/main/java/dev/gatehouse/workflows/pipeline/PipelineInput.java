package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import java.util.Map;

/**
 * Input of {@link PipelineWorkflow}: the task input, the validated pipeline, the timeout and retry
 * policy of every tool it names as the registry had them at submit time, and who the task acts for.
 */
public record PipelineInput(
    JsonNode input, PipelineDefinition pipeline, Map<String, ToolCallPolicy> toolPolicies, Caller caller) {
  public PipelineInput {
    toolPolicies = toolPolicies == null ? Map.of() : Map.copyOf(toolPolicies);
  }
}
