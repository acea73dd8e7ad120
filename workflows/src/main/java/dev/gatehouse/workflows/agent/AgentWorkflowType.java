package dev.gatehouse.workflows.agent;

import dev.gatehouse.workflows.spi.GatehouseWorkflow;

/** Registers the built-in {@code agent} workflow, the way teams register theirs. */
public final class AgentWorkflowType implements GatehouseWorkflow {
  @Override
  public String name() {
    return AgentWorkflow.TYPE;
  }

  @Override
  public Class<?> implementation() {
    return AgentWorkflowImpl.class;
  }

  @Override
  public String description() {
    return "a model calls the agent's tools step by step until it answers or a limit is reached";
  }
}
