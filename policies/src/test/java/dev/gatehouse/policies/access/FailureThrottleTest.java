package dev.gatehouse.policies.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.policies.limits.FailureThrottle;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FailureThrottleTest {
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-25T10:00:00Z"));
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  @Test
  void refusesASourceAfterTooManyFailuresUntilTheWindowMoves() {
    FailureThrottle t = new FailureThrottle(3, Duration.ofSeconds(60), clock);
    for (int i = 0; i < 3; i++) {
      assertThat(t.retryAfter("10.0.0.1")).isZero();
      t.failure("10.0.0.1");
      now.set(now.get().plusSeconds(1));
    }
    assertThat(t.retryAfter("10.0.0.1")).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(61));
    assertThat(t.retryAfter("10.0.0.2")).as("other sources are not affected").isZero();
    now.set(now.get().plusSeconds(60));
    assertThat(t.retryAfter("10.0.0.1")).isZero();
  }

  /** Memory is bounded when many addresses fail at once: past the bound a new address is not tracked. */
  @Test
  void pastItsBoundOfSourcesANewOneIsTrackedOnlyOnceAnOldOneIsIdle() {
    FailureThrottle t = new FailureThrottle(2, Duration.ofSeconds(60), clock, 3);
    for (String source : new String[] {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
      t.failure(source);
    }
    for (int i = 0; i < 5; i++) {
      t.failure("10.0.0.4");
    }
    assertThat(t.retryAfter("10.0.0.4")).as("not tracked while three sources are").isZero();
    t.failure("10.0.0.1");
    assertThat(t.retryAfter("10.0.0.1")).as("a tracked source still counts").isPositive();

    now.set(now.get().plusSeconds(61)); // the other sources' failures have left the window
    t.failure("10.0.0.4");
    t.failure("10.0.0.4");
    assertThat(t.retryAfter("10.0.0.4")).isPositive();
  }
}
