package dev.gatehouse.workflows.tool;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One governed tool call, run durably: the MCP face starts it for tools that change things, so
 * the call gets the tool's retry policy, survives a crash, has a trace, and is listed in {@code
 * /v1/tasks} like any task. The result is the tool's result; a call that fails for good fails the
 * workflow with the activity's failure type.
 */
@WorkflowInterface
public interface ToolCallWorkflow {

  /** The workflow type, and the {@code workflow} name tasks list. */
  String TYPE = "tool-call";

  /** The step id of the one call (as a pipeline step id, for traces). */
  String STEP_ID = "call";

  @WorkflowMethod(name = TYPE)
  ToolCallResult run(ToolCallInput input);
}
