package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One step of a pipeline, run once every step in {@code dependsOn} has completed. A tool step
 * calls {@code tool} with {@code args}; a model step asks {@code model} (an alias) to answer
 * {@code messages} (OpenAI chat messages), with at most {@code maxTokens} tokens when set. A step
 * is one or the other ({@link PipelineValidator} checks it); {@code args} and {@code messages}
 * may hold {@code ${...}} templates.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PipelineStep(
    String id, String tool, JsonNode args, String model, JsonNode messages, Integer maxTokens, List<String> dependsOn) {

  @JsonCreator
  public PipelineStep {
    dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
  }

  /** A tool step. */
  public PipelineStep(String id, String tool, JsonNode args, List<String> dependsOn) {
    this(id, tool, args, null, null, null, dependsOn);
  }

  /** Whether this is a model step (it names a model) rather than a tool step. */
  public boolean callsModel() {
    return model != null;
  }

  /** What the step's templates are in: its messages (a model step) or its arguments (a tool step). */
  public JsonNode template() {
    return callsModel() ? messages : args;
  }
}
