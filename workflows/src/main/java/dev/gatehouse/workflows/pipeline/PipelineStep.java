package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One step of a pipeline: call {@code tool} with {@code args} (which may hold {@code ${...}}
 * templates) once every step in {@code dependsOn} has completed.
 */
public record PipelineStep(String id, String tool, JsonNode args, List<String> dependsOn) {
  public PipelineStep {
    dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
  }
}
