package dev.gatehouse.policies.limits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down guessing: a source that fails more than {@code maxFailures} times within
 * {@code window} is refused (without checking its credentials) until its oldest failure leaves the
 * window. In memory, per process; bounded: at most {@code maxSources} sources are tracked. When
 * that many are, the idle ones are dropped (at most once a second, since it walks them all), and a
 * new source is not tracked while every tracked one still has failures in its window. So many
 * addresses failing at once cost neither more memory nor a walk per failure.
 */
public final class FailureThrottle {
  static final int MAX_SOURCES = 50_000;
  private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(1);

  private final int maxFailures;
  private final Duration window;
  private final Clock clock;
  private final int maxSources;
  private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();
  private final Object sweepLock = new Object();
  /** When the idle sources may be dropped again; guarded by {@link #sweepLock}. */
  private Instant nextSweep = Instant.MIN;

  public FailureThrottle(int maxFailures, Duration window, Clock clock) {
    this(maxFailures, window, clock, MAX_SOURCES);
  }

  /** Tracking at most {@code maxSources} sources (tests). */
  public FailureThrottle(int maxFailures, Duration window, Clock clock, int maxSources) {
    this.maxFailures = maxFailures;
    this.window = window;
    this.clock = clock;
    this.maxSources = maxSources;
  }

  /** How long {@code source} must wait before it is heard again; zero when it may try now. */
  public Duration retryAfter(String source) {
    Deque<Instant> q = failures.get(source);
    if (q == null) {
      return Duration.ZERO;
    }
    synchronized (q) {
      Instant now = clock.instant();
      prune(q, now);
      if (q.size() < maxFailures) {
        return Duration.ZERO;
      }
      Duration wait = Duration.between(now, q.peekFirst().plus(window));
      return wait.isNegative() ? Duration.ZERO : wait.plusSeconds(1).withNanos(0);
    }
  }

  public void failure(String source) {
    Deque<Instant> q = failures.get(source);
    if (q == null) {
      if (failures.size() >= maxSources && (!dropIdle() || failures.size() >= maxSources)) {
        return; // every tracked source is still failing: a new one is not tracked
      }
      q = failures.computeIfAbsent(source, k -> new ArrayDeque<>());
    }
    synchronized (q) {
      q.addLast(clock.instant());
      while (q.size() > maxFailures) {
        q.removeFirst();
      }
    }
  }

  /** Drops the sources with no failure left in the window; false when one second has not passed since the last time. */
  private boolean dropIdle() {
    Instant now = clock.instant();
    synchronized (sweepLock) {
      if (now.isBefore(nextSweep)) {
        return false;
      }
      nextSweep = now.plus(SWEEP_INTERVAL);
    }
    failures.entrySet().removeIf(e -> {
      synchronized (e.getValue()) {
        prune(e.getValue(), now);
        return e.getValue().isEmpty();
      }
    });
    return true;
  }

  private void prune(Deque<Instant> q, Instant now) {
    Instant cutoff = now.minus(window);
    while (!q.isEmpty() && !q.peekFirst().isAfter(cutoff)) {
      q.removeFirst();
    }
  }
}
