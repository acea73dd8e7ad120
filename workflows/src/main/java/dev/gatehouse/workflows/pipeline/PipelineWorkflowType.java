package dev.gatehouse.workflows.pipeline;

import dev.gatehouse.workflows.spi.GatehouseWorkflow;

/** Registers the built-in {@code pipeline} workflow, the way teams register theirs. */
public final class PipelineWorkflowType implements GatehouseWorkflow {
  @Override
  public String name() {
    return PipelineWorkflow.TYPE;
  }

  @Override
  public Class<?> implementation() {
    return PipelineWorkflowImpl.class;
  }

  @Override
  public String description() {
    return "a DAG of tool and model steps, given with the task";
  }
}
