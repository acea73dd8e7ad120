package dev.gatehouse.workflows.pipeline;

import java.util.List;

/** The steps of a declarative pipeline; they form a DAG through {@link PipelineStep#dependsOn}. */
public record PipelineDefinition(List<PipelineStep> steps) {
  public PipelineDefinition {
    steps = steps == null ? List.of() : List.copyOf(steps);
  }
}
