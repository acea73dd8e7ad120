package dev.gatehouse.workflows.task;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Keeps Gatehouse's own task index (which the task list reads) in step with the workflows. Run as
 * a local activity by {@link TaskIndexInterceptor} when a workflow closes. Idempotent: recording
 * the same closure twice leaves one row as it was.
 */
@ActivityInterface(namePrefix = "TaskIndex.")
public interface TaskIndexActivities {

  @ActivityMethod
  void recordClosed(TaskClosed closed);
}
