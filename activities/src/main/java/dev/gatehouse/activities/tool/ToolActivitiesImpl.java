package dev.gatehouse.activities.tool;

import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.temporal.failure.ApplicationFailure;

/** Runs {@link ToolInvoker} inside a Temporal activity and turns its failures into Temporal's. */
public class ToolActivitiesImpl implements ToolActivities {
  private final ToolInvoker invoker;

  public ToolActivitiesImpl(ToolInvoker invoker) {
    this.invoker = invoker;
  }

  @Override
  public ToolCallResult call(ToolCallRequest request) {
    ActivityExecutionContext execution = Activity.getExecutionContext();
    ActivityInfo info = execution.getInfo();
    // Progress travels as heartbeat details, where the front end waiting for the task reads it.
    CallContext ctx =
        new CallContext(
            info.getWorkflowId(),
            info.getActivityId(),
            info.getAttempt(),
            (progress, total, message) -> {
              try {
                execution.heartbeat(new ToolProgress(progress, total, message));
              } catch (RuntimeException e) {
                // cancelled or the engine is unreachable: progress is best effort
              }
            });
    try {
      return invoker.invoke(ToolCall.of(request.tool(), request.args(), request.caller(), ctx));
    } catch (ToolCallException e) {
      throw e.retryable()
          ? ApplicationFailure.newFailure(e.getMessage(), e.type())
          : ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.type());
    }
  }
}
