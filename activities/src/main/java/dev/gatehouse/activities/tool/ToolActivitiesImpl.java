package dev.gatehouse.activities.tool;

import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;

/**
 * Runs {@link ToolInvoker} inside a Temporal activity and turns its failures into Temporal's. The
 * call heartbeats throughout ({@link Heartbeats}), so a cancelled step's upstream call is aborted
 * and the activity ends as cancelled.
 */
public class ToolActivitiesImpl implements ToolActivities {
  private final ToolInvoker invoker;
  private final Heartbeats heartbeats;

  public ToolActivitiesImpl(ToolInvoker invoker, Heartbeats heartbeats) {
    this.invoker = invoker;
    this.heartbeats = heartbeats;
  }

  @Override
  public ToolCallResult call(ToolCallRequest request) {
    ActivityExecutionContext execution = Activity.getExecutionContext();
    ActivityInfo info = execution.getInfo();
    try (Heartbeats.Beat beat = heartbeats.start(execution)) {
      // Progress travels as heartbeat details, where the front end waiting for the task reads it.
      CallContext ctx =
          new CallContext(
              info.getWorkflowId(),
              info.getActivityId(),
              info.getAttempt(),
              (progress, total, message) -> beat.progress(new ToolProgress(progress, total, message)));
      try {
        ToolCallResult result = invoker.invoke(ToolCall.of(request.tool(), request.args(), request.caller(), ctx));
        throwIfStopped(beat);
        return result;
      } catch (ToolCallException e) {
        throwIfStopped(beat);
        throw e.retryable()
            ? ApplicationFailure.newFailure(e.getMessage(), e.type())
            : ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.type());
      } catch (RuntimeException e) {
        throwIfStopped(beat);
        throw e;
      }
    }
  }

  /** A call told to stop ends as Temporal asked (cancelled), whatever its interrupted upstream call made of it. */
  private static void throwIfStopped(Heartbeats.Beat beat) {
    ActivityCompletionException stop = beat.stopped();
    if (stop != null) {
      throw stop;
    }
  }
}
