package dev.gatehouse.workflows.tool;

import io.temporal.workflow.Workflow;

/** Runs the one {@code Tool.Call} activity with the tool's policy. */
public class ToolCallWorkflowImpl implements ToolCallWorkflow {
  @Override
  public ToolCallResult run(ToolCallInput input) {
    ToolActivities tools = Workflow.newActivityStub(ToolActivities.class, input.policy().toActivityOptions());
    return tools.call(new ToolCallRequest(STEP_ID, input.tool(), input.args(), input.caller()));
  }
}
