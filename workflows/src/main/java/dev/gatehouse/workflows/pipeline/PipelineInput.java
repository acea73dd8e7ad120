package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import java.util.Map;

/**
 * Input of {@link PipelineWorkflow}: the task input, the validated pipeline, the timeout and retry
 * policy of every tool and every model it names as the registry had them at submit time, and who
 * the task acts for. {@code modelPolicies} is absent from the inputs of tasks submitted before
 * pipelines had model steps.
 */
public record PipelineInput(
    JsonNode input,
    PipelineDefinition pipeline,
    Map<String, ToolCallPolicy> toolPolicies,
    Caller caller,
    Map<String, ModelCallPolicy> modelPolicies) {
  @JsonCreator
  public PipelineInput {
    toolPolicies = toolPolicies == null ? Map.of() : Map.copyOf(toolPolicies);
    modelPolicies = modelPolicies == null ? Map.of() : Map.copyOf(modelPolicies);
  }

  /** A pipeline of tool steps only. */
  public PipelineInput(JsonNode input, PipelineDefinition pipeline, Map<String, ToolCallPolicy> toolPolicies, Caller caller) {
    this(input, pipeline, toolPolicies, caller, Map.of());
  }
}
