package dev.gatehouse.workflows.pipeline;

import dev.gatehouse.workflows.task.TaskClosed;
import dev.gatehouse.workflows.task.TaskIndexActivities;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects what the task-index interceptor records, in place of the PostgreSQL index. */
class RecordingTaskIndex implements TaskIndexActivities {
  final List<TaskClosed> closed = new CopyOnWriteArrayList<>();

  @Override
  public void recordClosed(TaskClosed c) {
    closed.add(c);
  }
}
