package dev.gatehouse.activities.policy;

import dev.gatehouse.policies.data.PolicySet;
import dev.gatehouse.registry.policies.PolicyDao;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;

/**
 * The compiled policy entries that govern each tenant's calls, read from the registry and kept
 * for a short while ({@link #DEFAULT_TTL}): a busy path reads the same few on every call, and a
 * change (admin API, registry file) is seen by every replica within the TTL. Shared by every
 * thread.
 */
public final class PolicyCatalog {
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(2);
  private static final int MAX_CACHED = 10_000;

  private record Entry(PolicySet set, long expiresAtNanos) {}

  private final PolicyDao policies;
  private final long ttlNanos;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();

  public PolicyCatalog(Jdbi jdbi) {
    this(jdbi, DEFAULT_TTL);
  }

  /** {@code ttl} zero: read on every call (tests that change policies between calls). */
  public PolicyCatalog(Jdbi jdbi, Duration ttl) {
    this.policies = jdbi.onDemand(PolicyDao.class);
    this.ttlNanos = ttl.toNanos();
  }

  /** Forgets what was read: the next call of every tenant reads its policies again (after an admin change). */
  public void invalidate() {
    cache.clear();
  }

  /** The policies governing {@code tenantId}'s calls (its own and the global ones). */
  public PolicySet forTenant(String tenantId) {
    if (tenantId == null) {
      return PolicySet.EMPTY;
    }
    long now = System.nanoTime();
    Entry e = cache.get(tenantId);
    if (e != null && e.expiresAtNanos - now > 0) {
      return e.set;
    }
    PolicySet set = PolicySet.of(policies.governing(tenantId));
    if (ttlNanos > 0) {
      if (cache.size() >= MAX_CACHED) {
        cache.clear();
      }
      cache.put(tenantId, new Entry(set, now + ttlNanos));
    }
    return set;
  }
}
