package dev.gatehouse.activities.model;

import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;

/**
 * Model and provider definitions with a short-lived cache (answers "no such model" included): a
 * busy face reads the same few on every call. A change may take up to the TTL to be seen;
 * permissions are not cached here.
 */
public class ModelCatalog {
  private static final int MAX_CACHED = 10_000;

  private record Entry<T>(Optional<T> value, long expiresAtNanos) {}

  private final ModelDao models;
  private final ProviderDao providers;
  private final long ttlNanos;
  private final Map<String, Entry<ModelDefinition>> modelCache = new ConcurrentHashMap<>();
  private final Map<String, Entry<ProviderDefinition>> providerCache = new ConcurrentHashMap<>();

  public ModelCatalog(Jdbi jdbi, Duration ttl) {
    this.models = jdbi.onDemand(ModelDao.class);
    this.providers = jdbi.onDemand(ProviderDao.class);
    this.ttlNanos = ttl.toNanos();
  }

  /** The model named {@code alias} that {@code tenantId}'s agents may see (its own or a global one). */
  public Optional<ModelDefinition> model(String alias, String tenantId) {
    return cached(modelCache, alias, models::find).filter(m -> m.tenantId() == null || m.tenantId().equals(tenantId));
  }

  /** The provider named {@code name} that a model of {@code tenantId} may use (its own or a global one). */
  public Optional<ProviderDefinition> provider(String name, String tenantId) {
    return cached(providerCache, name, providers::find)
        .filter(p -> p.tenantId() == null || p.tenantId().equals(tenantId));
  }

  /** Every model {@code tenantId}'s agents may see, by name (read now, not cached). */
  public List<ModelDefinition> visibleTo(String tenantId) {
    return models.visibleTo(tenantId);
  }

  private <T> Optional<T> cached(Map<String, Entry<T>> cache, String name, Function<String, Optional<T>> load) {
    long now = System.nanoTime();
    Entry<T> e = cache.get(name);
    if (e != null && e.expiresAtNanos - now > 0) {
      return e.value;
    }
    Optional<T> value = load.apply(name);
    if (ttlNanos > 0) {
      if (cache.size() >= MAX_CACHED) {
        cache.clear();
      }
      cache.put(name, new Entry<>(value, now + ttlNanos));
    }
    return value;
  }
}
