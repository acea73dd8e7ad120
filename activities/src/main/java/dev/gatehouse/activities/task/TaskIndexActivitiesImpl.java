package dev.gatehouse.activities.task;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.workflows.task.TaskClosed;
import dev.gatehouse.workflows.task.TaskIndexActivities;
import org.jdbi.v3.core.Jdbi;

/** Writes a task's end into the index; counts it once, however often it is recorded. */
public class TaskIndexActivitiesImpl implements TaskIndexActivities {
  private final TaskIndexDao tasks;
  private final GatehouseMetrics metrics;

  public TaskIndexActivitiesImpl(Jdbi jdbi, GatehouseMetrics metrics) {
    this.tasks = jdbi.onDemand(TaskIndexDao.class);
    this.metrics = metrics;
  }

  @Override
  public void recordClosed(TaskClosed closed) {
    if (tasks.close(closed.taskId(), closed.status(), closed.errorCode(), closed.errorMessage())) {
      metrics.taskFinished(closed.workflowType(), closed.status());
    }
  }
}
