package dev.gatehouse.activities.tool;

/**
 * Who is calling, for idempotency and metrics: the task (workflow) id, the step's activity id,
 * and the attempt number (1 for the first).
 */
public record CallContext(String taskId, String activityId, int attempt) {
  /** The key an upstream sees on every attempt of the same step: {@code <workflowId>/<activityId>}. */
  public String idempotencyKey() {
    return taskId + "/" + activityId;
  }
}
