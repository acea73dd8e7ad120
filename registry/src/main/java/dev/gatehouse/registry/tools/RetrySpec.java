package dev.gatehouse.registry.tools;

import java.time.Duration;

/** A tool's retry policy: attempts in all (first included), first wait, backoff, longest wait. */
public record RetrySpec(int maxAttempts, Duration initialInterval, double backoff, Duration maxInterval) {
  public static final RetrySpec DEFAULT =
      new RetrySpec(3, Duration.ofMillis(200), 2.0, Duration.ofSeconds(10));
}
