package dev.gatehouse.registry.tasks;

/** The states of a task, as the task API shows them. */
public enum TaskStatus {
  RUNNING,
  COMPLETED,
  FAILED,
  CANCELED,
  TIMED_OUT;

  public boolean isClosed() {
    return this != RUNNING;
  }
}
