package dev.gatehouse.workflows.tool;

import io.temporal.activity.ActivityOptions;
import io.temporal.worker.WorkflowImplementationOptions;
import java.time.Duration;
import java.util.Map;

/**
 * What every {@code Tool.Call} activity gets from the worker that registers the workflows, on top
 * of the tool's own {@link ToolCallPolicy}: a heartbeat timeout. The activity heartbeats while its
 * upstream call runs, so a cancelled step's call is stopped within about a heartbeat, and a call
 * whose worker died is retried after the heartbeat timeout instead of its start-to-close timeout.
 *
 * <p>Set at registration, per activity type, rather than in workflow code: activity options are
 * attributes of the schedule command, which replay does not compare, so running workflows pick
 * the timeout up for the steps they schedule next and their histories still replay.
 */
public final class ToolActivityDefaults {
  /** The activity type of {@link ToolActivities#call}. */
  public static final String CALL = "Tool.Call";

  private ToolActivityDefaults() {}

  public static WorkflowImplementationOptions implementationOptions(Duration heartbeatTimeout) {
    return WorkflowImplementationOptions.newBuilder()
        .setActivityOptions(Map.of(CALL, ActivityOptions.newBuilder().setHeartbeatTimeout(heartbeatTimeout).build()))
        .build();
  }
}
