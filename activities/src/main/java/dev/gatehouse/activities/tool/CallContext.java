package dev.gatehouse.activities.tool;

/**
 * Who is calling, for idempotency, metrics and the audit log: the task (workflow) id, the step's
 * activity id, and the attempt number (1 for the first); where the upstream's progress reports go
 * ({@code progress} null: nowhere); and, for a call outside any task, the id of the agent's request
 * it serves ({@code X-Request-Id}; else null).
 */
public record CallContext(String taskId, String activityId, int attempt, Progress progress, String requestId) {

  /** Receives an upstream's progress reports during a call. */
  public interface Progress {
    void report(double progress, Double total, String message);
  }

  public CallContext(String taskId, String activityId, int attempt) {
    this(taskId, activityId, attempt, null, null);
  }

  public CallContext(String taskId, String activityId, int attempt, Progress progress) {
    this(taskId, activityId, attempt, progress, null);
  }

  /**
   * A call outside any task (an MCP {@code tools/call} on the direct path): it is made once and
   * never retried, so its key, {@code direct_<random>} (128 random bits in hex), is its own and no
   * other call's. The bits come from {@link java.util.concurrent.ThreadLocalRandom}: the key only
   * has to be unique, and a {@code UUID}'s SecureRandom is one lock and a read of the system's
   * entropy per call. {@code requestId} is the agent's request's id, for the call's audit row.
   */
  public static CallContext direct(String requestId) {
    var random = java.util.concurrent.ThreadLocalRandom.current();
    var hex = java.util.HexFormat.of();
    return new CallContext(null, "direct_" + hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong()), 1, null, requestId);
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
