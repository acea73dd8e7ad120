package dev.gatehouse.workflows.model;

import dev.gatehouse.workflows.tool.ToolCallPolicy;
import io.temporal.activity.ActivityOptions;

/**
 * The timeout and retry policy of a model's {@code Model.Call} activities, worked out from the
 * registry when the task was submitted (the model's retry policy, and a timeout that covers its
 * providers' timeouts across its targets and fallbacks). The workflow turns it into {@link
 * ActivityOptions}; it holds no policy of its own.
 *
 * @param timeoutMillis the longest one attempt of the activity may take (every provider request
 *     the invoker makes in it, fallbacks included)
 * @param maxAttempts attempts in all, including the first (at least 1)
 * @param initialIntervalMillis wait before the first retry
 * @param backoff multiplier of the wait between retries
 * @param maxIntervalMillis the longest wait between retries
 */
public record ModelCallPolicy(
    long timeoutMillis, int maxAttempts, long initialIntervalMillis, double backoff, long maxIntervalMillis) {

  /**
   * The same options a tool call gets from the same numbers: the timeout plus a grace period as
   * start-to-close, {@code TRY_CANCEL}, and the retry policy.
   */
  public ActivityOptions toActivityOptions() {
    return new ToolCallPolicy(timeoutMillis, maxAttempts, initialIntervalMillis, backoff, maxIntervalMillis)
        .toActivityOptions();
  }
}
