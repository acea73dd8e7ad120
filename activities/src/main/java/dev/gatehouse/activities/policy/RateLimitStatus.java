package dev.gatehouse.activities.policy;

import java.time.Duration;

/**
 * What the rate-limit policies that govern one call said of it, for the faces' rate-limit
 * headers: the tightest requests bucket and the tightest tokens bucket (the fewest left; null
 * when no governing policy counts that), and for a refused call the policy that refused it and
 * how long until it has the tokens the call needs ({@code retryAfter}; null when admitted).
 *
 * @param policy the refusing policy's {@code name@version}, or null when admitted
 */
public record RateLimitStatus(Window requests, Window tokens, Duration retryAfter, String policy) {

  /**
   * One bucket as the take left it: {@code limit} per minute, {@code remaining} whole tokens left
   * now, {@code reset} until it is full again.
   */
  public record Window(String policy, long limit, long remaining, Duration reset) {}

  /** Whether the call was refused. */
  public boolean refused() {
    return retryAfter != null;
  }

  /** {@code retryAfter} in whole seconds, rounded up, at least 1 (what {@code Retry-After} says). */
  public long retryAfterSeconds() {
    return retryAfter == null ? 0 : ceilSeconds(retryAfter);
  }

  /** {@code d} in whole seconds, rounded up, at least 1. */
  public static long ceilSeconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000);
  }
}
