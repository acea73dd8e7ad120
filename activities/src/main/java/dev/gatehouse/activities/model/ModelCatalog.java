package dev.gatehouse.activities.model;

import dev.gatehouse.activities.cache.ReadThroughCache;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Model and provider definitions with a short-lived cache (answers "no such model" included): a
 * busy face reads the same few on every call. A change may take up to the TTL to be seen;
 * permissions are not cached here.
 */
public class ModelCatalog {
  private static final int MAX_CACHED = 10_000;

  private final ModelDao models;
  private final ProviderDao providers;
  private final ReadThroughCache<String, Optional<ModelDefinition>> modelCache;
  private final ReadThroughCache<String, Optional<ProviderDefinition>> providerCache;

  public ModelCatalog(Jdbi jdbi, Duration ttl) {
    this.models = jdbi.onDemand(ModelDao.class);
    this.providers = jdbi.onDemand(ProviderDao.class);
    this.modelCache = new ReadThroughCache<>(ttl, MAX_CACHED, models::find);
    this.providerCache = new ReadThroughCache<>(ttl, MAX_CACHED, providers::find);
  }

  /** The model named {@code alias} that {@code tenantId}'s agents may see (its own or a global one). */
  public Optional<ModelDefinition> model(String alias, String tenantId) {
    return modelCache.get(alias).filter(m -> m.tenantId() == null || m.tenantId().equals(tenantId));
  }

  /** The provider named {@code name} that a model of {@code tenantId} may use (its own or a global one). */
  public Optional<ProviderDefinition> provider(String name, String tenantId) {
    return providerCache.get(name)
        .filter(p -> p.tenantId() == null || p.tenantId().equals(tenantId));
  }

  /** Every model {@code tenantId}'s agents may see, by name (read now, not cached). */
  public List<ModelDefinition> visibleTo(String tenantId) {
    return models.visibleTo(tenantId);
  }
}
