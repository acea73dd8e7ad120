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

  /**
   * A call outside any task (an MCP {@code tools/call} on the direct path): it is made once and
   * never retried, so its key, {@code direct_<random>}, is its own and no other call's.
   */
  public static CallContext direct() {
    return new CallContext(null, "direct_" + java.util.UUID.randomUUID().toString().replace("-", ""), 1, null);
  }

  /**
   * The key an upstream sees on every attempt of the same step: {@code <workflowId>/<activityId>};
   * for a call outside a task its own key ({@link #direct()}); null when there is neither (no
   * {@code Idempotency-Key} is sent then).
   */
  public String idempotencyKey() {
    if (taskId == null) {
      return activityId;
    }
    return taskId + "/" + activityId;
  }
}
