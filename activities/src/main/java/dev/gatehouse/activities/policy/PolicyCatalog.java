package dev.gatehouse.activities.policy;

import dev.gatehouse.activities.cache.ReadThroughCache;
import dev.gatehouse.policies.data.PolicySet;
import dev.gatehouse.registry.policies.PolicyDao;
import java.time.Duration;
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

  private final PolicyDao policies;
  private final ReadThroughCache<String, PolicySet> cache;

  public PolicyCatalog(Jdbi jdbi) {
    this(jdbi, DEFAULT_TTL);
  }

  /** {@code ttl} zero: read on every call (tests that change policies between calls). */
  public PolicyCatalog(Jdbi jdbi, Duration ttl) {
    this.policies = jdbi.onDemand(PolicyDao.class);
    this.cache = new ReadThroughCache<>(ttl, MAX_CACHED, t -> PolicySet.of(policies.governing(t)));
  }

  /** Forgets what was read: the next call of every tenant reads its policies again (after an admin change). */
  public void invalidate() {
    cache.invalidateAll();
  }

  /** The policies governing {@code tenantId}'s calls (its own and the global ones). */
  public PolicySet forTenant(String tenantId) {
    if (tenantId == null) {
      return PolicySet.EMPTY;
    }
    return cache.get(tenantId);
  }
}
