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
   * never retried, so its key, {@code direct_<random>} (128 random bits in hex), is its own and no
   * other call's. The bits come from {@link java.util.concurrent.ThreadLocalRandom}: the key only
   * has to be unique, and a {@code UUID}'s SecureRandom is one lock and a read of the system's
   * entropy per call.
   */
  public static CallContext direct() {
    var random = java.util.concurrent.ThreadLocalRandom.current();
    var hex = java.util.HexFormat.of();
    return new CallContext(null, "direct_" + hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong()), 1, null);
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
