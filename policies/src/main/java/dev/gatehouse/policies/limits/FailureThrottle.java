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
 * window. In memory, per process; bounded by dropping idle sources.
 */
public final class FailureThrottle {
  private static final int MAX_SOURCES = 50_000;

  private final int maxFailures;
  private final Duration window;
  private final Clock clock;
  private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

  public FailureThrottle(int maxFailures, Duration window, Clock clock) {
    this.maxFailures = maxFailures;
    this.window = window;
    this.clock = clock;
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
    if (failures.size() >= MAX_SOURCES) {
      failures.entrySet().removeIf(e -> {
        synchronized (e.getValue()) {
          prune(e.getValue(), clock.instant());
          return e.getValue().isEmpty();
        }
      });
    }
    Deque<Instant> q = failures.computeIfAbsent(source, k -> new ArrayDeque<>());
    synchronized (q) {
      q.addLast(clock.instant());
      while (q.size() > maxFailures) {
        q.removeFirst();
      }
    }
  }

  private void prune(Deque<Instant> q, Instant now) {
    Instant cutoff = now.minus(window);
    while (!q.isEmpty() && !q.peekFirst().isAfter(cutoff)) {
      q.removeFirst();
    }
  }
}
