package dev.gatehouse.frontend.auth;

import dev.gatehouse.registry.keys.ApiKeyDao;
import dev.gatehouse.registry.keys.ApiKeys;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;

/**
 * Resolves a bearer key to its agent. Answers (both hits and misses) are cached for a few seconds
 * only, so a revoked key stops working almost at once while a busy agent costs one hash per
 * request instead of a query.
 */
public class ApiKeyAuthenticator {
  private static final int MAX_CACHED = 10_000;

  private record Entry(Optional<String> agent, long expiresAtNanos) {}

  private final ApiKeyDao keys;
  private final long ttlNanos;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();

  public ApiKeyAuthenticator(Jdbi jdbi, Duration ttl) {
    this.keys = jdbi.onDemand(ApiKeyDao.class);
    this.ttlNanos = ttl.toNanos();
  }

  public Optional<String> authenticate(String key) {
    byte[] hash = ApiKeys.hash(key);
    String cacheKey = HexFormat.of().formatHex(hash);
    long now = System.nanoTime();
    Entry e = cache.get(cacheKey);
    if (e != null && e.expiresAtNanos - now > 0) {
      return e.agent;
    }
    Optional<String> agent = keys.findAgent(hash);
    if (cache.size() >= MAX_CACHED) {
      cache.clear();
    }
    cache.put(cacheKey, new Entry(agent, now + ttlNanos));
    return agent;
  }
}
