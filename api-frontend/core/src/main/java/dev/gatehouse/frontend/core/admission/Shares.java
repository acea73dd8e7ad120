package dev.gatehouse.frontend.core.admission;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Places held by key (a tenant's, an agent's share of something a replica bounds: waiting reads,
 * event streams, MCP sessions), each take with its own ceiling. A place is checked and taken in one
 * step, so requests arriving together cannot pass a ceiling together; a key holding no place has
 * no entry, so keys that come and go (agents made and deleted) leave nothing behind.
 */
public final class Shares {
  private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();

  /** Takes one of {@code key}'s places unless it holds {@code max} already; whether it did. */
  public boolean take(String key, int max) {
    boolean[] taken = new boolean[1];
    held.compute(key, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= max) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0];
  }

  /** Gives one of {@code key}'s places back (nothing when it holds none). */
  public void giveBack(String key) {
    held.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
  }

  /** How many places {@code key} holds. */
  public int held(String key) {
    return held.getOrDefault(key, 0);
  }

  /** How many keys hold at least one place. */
  public int keys() {
    return held.size();
  }
}
