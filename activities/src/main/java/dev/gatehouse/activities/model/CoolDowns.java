package dev.gatehouse.activities.model;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Providers that keep failing are skipped for a while: after {@code after} failures in a row a
 * provider cools down for {@code coolDown}; a 429 whose {@code Retry-After} asks for longer cools
 * it down for that (at most {@link #MAX_COOL_DOWN}). A success ends the run of failures. Per
 * replica, in memory: each replica learns a provider's state from its own calls.
 */
final class CoolDowns {
  static final Duration MAX_COOL_DOWN = Duration.ofMinutes(10);

  private static final class State {
    int failures;
    long untilNanos;
  }

  private final int after;
  private final long coolDownNanos;
  private final LongSupplier nanos;
  private final Map<String, State> states = new ConcurrentHashMap<>();

  CoolDowns(int after, Duration coolDown, LongSupplier nanos) {
    this.after = Math.max(1, after);
    this.coolDownNanos = coolDown.toNanos();
    this.nanos = nanos;
  }

  /** How long {@code provider} is still cooling down; zero when it may be called. */
  Duration remaining(String provider) {
    State s = states.get(provider);
    if (s == null) {
      return Duration.ZERO;
    }
    synchronized (s) {
      long left = s.untilNanos - nanos.getAsLong();
      return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }
  }

  void failure(String provider, Duration retryAfter) {
    State s = states.computeIfAbsent(provider, k -> new State());
    synchronized (s) {
      long now = nanos.getAsLong();
      s.failures++;
      long until = s.failures >= after ? now + coolDownNanos : s.untilNanos;
      if (retryAfter != null && !retryAfter.isNegative()) {
        until = Math.max(until, now + Math.min(retryAfter.toNanos(), MAX_COOL_DOWN.toNanos()));
      }
      s.untilNanos = until;
    }
  }

  void success(String provider) {
    State s = states.get(provider);
    if (s != null) {
      synchronized (s) {
        s.failures = 0;
        s.untilNanos = 0;
      }
    }
  }
}
