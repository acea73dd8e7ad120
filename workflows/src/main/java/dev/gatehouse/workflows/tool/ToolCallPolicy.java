package dev.gatehouse.workflows.tool;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import java.time.Duration;

/**
 * A tool's timeout and retry policy as recorded in the registry when the task was submitted. The
 * workflow turns it into {@link ActivityOptions}; it holds no policy of its own.
 *
 * @param timeoutMillis per-attempt timeout of the upstream call
 * @param maxAttempts attempts in all, including the first (at least 1)
 * @param initialIntervalMillis wait before the first retry
 * @param backoff multiplier of the wait between retries
 * @param maxIntervalMillis the longest wait between retries
 */
public record ToolCallPolicy(
    long timeoutMillis,
    int maxAttempts,
    long initialIntervalMillis,
    double backoff,
    long maxIntervalMillis) {

  /**
   * Extra time the activity gets beyond the upstream timeout, so the HTTP timeout (with its clear
   * error) fires before Temporal's start-to-close timeout.
   */
  static final Duration ACTIVITY_GRACE = Duration.ofSeconds(2);

  public ActivityOptions toActivityOptions() {
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(Duration.ofMillis(timeoutMillis).plus(ACTIVITY_GRACE))
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setMaximumAttempts(Math.max(1, maxAttempts))
                .setInitialInterval(Duration.ofMillis(Math.max(1, initialIntervalMillis)))
                .setBackoffCoefficient(Math.max(1.0, backoff))
                .setMaximumInterval(
                    Duration.ofMillis(Math.max(initialIntervalMillis, maxIntervalMillis)))
                .build())
        .build();
  }
}
