package dev.gatehouse.workflows.tool;

import dev.gatehouse.workflows.limits.RateLimitWaits;
import io.temporal.workflow.Workflow;

/**
 * Runs the one {@code Tool.Call} activity with the tool's policy; a call a rate limit refused
 * waits for it and is made again ({@link RateLimitWaits}).
 */
public class ToolCallWorkflowImpl implements ToolCallWorkflow {
  @Override
  public ToolCallResult run(ToolCallInput input) {
    ToolActivities tools = Workflow.newActivityStub(ToolActivities.class, input.policy().toActivityOptions());
    ToolCallRequest request = new ToolCallRequest(STEP_ID, input.tool(), input.args(), input.caller());
    return RateLimitWaits.call(() -> tools.call(request));
  }
}
