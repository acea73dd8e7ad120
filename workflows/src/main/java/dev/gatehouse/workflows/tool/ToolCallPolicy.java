package dev.gatehouse.workflows.tool;

import io.temporal.activity.ActivityCancellationType;
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
        // TRY_CANCEL: a cancelled call is asked to stop (the request goes into the history) and
        // its promise fails at once, so no workflow is left waiting on an upstream call that is
        // slow and never heartbeats (an activity hears of a cancel only at a heartbeat).
        // WAIT_CANCELLATION_COMPLETED would keep that promise open until the call noticed or
        // ended; ABANDON would not ask the activity to stop, and would still schedule a call
        // made after the cancel.
        .setCancellationType(ActivityCancellationType.TRY_CANCEL)
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
