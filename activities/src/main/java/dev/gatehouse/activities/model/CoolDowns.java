package dev.gatehouse.activities.model;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Providers that keep failing are skipped for a while: after {@code after} failures in a row a
 * provider cools down for {@code coolDown}; a 429 whose {@code Retry-After} asks for longer cools
 * it down for that (at most {@link #MAX_COOL_DOWN}). A run of failures that are all 429s is the
 * provider's rate limit, not an outage: when its last one said when to come back, that is when the
 * cool-down ends (a provider that asked for 1 s was skipped for 30), and while it lasts the
 * provider is {@link Cooling#rateLimited() rate limited}, so a call that finds nothing else is
 * {@code rate_limited}, not {@code upstream_unavailable}. A success ends the run of failures. Per
 * replica, in memory: each replica learns a provider's state from its own calls.
 */
final class CoolDowns {
  static final Duration MAX_COOL_DOWN = Duration.ofMinutes(10);

  /** A provider's cool-down: how long it still lasts (zero: none), and whether 429s alone caused it. */
  record Cooling(Duration left, boolean rateLimited) {
    static final Cooling NONE = new Cooling(Duration.ZERO, false);

    boolean active() {
      return !left.isZero();
    }
  }

  private static final class State {
    int failures;
    long untilNanos;
    boolean rateLimited;
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

  /** Whether {@code provider} is cooling down, for how long still, and why. */
  Cooling cooling(String provider) {
    State s = states.get(provider);
    if (s == null) {
      return Cooling.NONE;
    }
    synchronized (s) {
      long left = s.untilNanos - nanos.getAsLong();
      return left > 0 ? new Cooling(Duration.ofNanos(left), s.rateLimited) : Cooling.NONE;
    }
  }

  /**
   * A failed call of {@code provider}: {@code rateLimited} when it answered 429, {@code
   * retryAfter} what it asked for (null: nothing).
   */
  void failure(String provider, boolean rateLimited, Duration retryAfter) {
    State s = states.computeIfAbsent(provider, k -> new State());
    synchronized (s) {
      long now = nanos.getAsLong();
      s.failures++;
      s.rateLimited = rateLimited && (s.failures == 1 || s.rateLimited);
      boolean asked = retryAfter != null && !retryAfter.isNegative();
      long askedUntil = asked ? now + Math.min(retryAfter.toNanos(), MAX_COOL_DOWN.toNanos()) : 0;
      long until;
      if (s.rateLimited && asked) {
        until = askedUntil; // the provider said when it takes calls again
      } else {
        until = s.failures >= after ? now + coolDownNanos : s.untilNanos;
        if (asked) {
          until = Math.max(until, askedUntil);
        }
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
        s.rateLimited = false;
      }
    }
  }
}
