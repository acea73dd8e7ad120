package dev.gatehouse.activities.tool;

/**
 * Who is calling, for idempotency and metrics: the task (workflow) id, the step's activity id,
 * and the attempt number (1 for the first); and where the upstream's progress reports go
 * ({@code progress} null: nowhere).
 */
public record CallContext(String taskId, String activityId, int attempt, Progress progress) {

  /** Receives an upstream's progress reports during a call. */
  public interface Progress {
    void report(double progress, Double total, String message);
  }

  public CallContext(String taskId, String activityId, int attempt) {
    this(taskId, activityId, attempt, null);
  }

  /** The key an upstream sees on every attempt of the same step: {@code <workflowId>/<activityId>}. */
  public String idempotencyKey() {
    return taskId + "/" + activityId;
  }
}
