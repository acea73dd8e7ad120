package dev.gatehouse.registry.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.gatehouse.registry.RegistryJson;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Model providers, stored whole as JSONB under their unique name. */
@RegisterRowMapper(ProviderDao.DefinitionMapper.class)
public interface ProviderDao {

  @SqlQuery("SELECT definition::text, egress_guarded FROM providers WHERE name = :name")
  Optional<ProviderDefinition> find(@Bind("name") String name);

  @SqlQuery("SELECT definition::text, egress_guarded FROM providers ORDER BY name")
  List<ProviderDefinition> list();

  /** The providers a tenant may use: its own and the global ones. */
  @SqlQuery("SELECT definition::text, egress_guarded FROM providers WHERE tenant_id IS NULL OR tenant_id = :tenantId ORDER BY name")
  List<ProviderDefinition> visibleTo(@Bind("tenantId") String tenantId);

  /** A page ordered by name of a tenant's (and the global) providers, or of all when tenantId is null. */
  @SqlQuery(
      "SELECT definition::text, egress_guarded FROM providers WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR name > :after) ORDER BY name LIMIT :limit")
  List<ProviderDefinition> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  /** Inserts a new provider; false when the name is taken. */
  default boolean insert(ProviderDefinition provider) {
    return insertJson(provider.name(), provider.tenantId(), json(provider), provider.egressGuarded()) > 0;
  }

  @SqlUpdate(
      "INSERT INTO providers (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), :guarded) "
          + "ON CONFLICT (name) DO NOTHING")
  int insertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json, @Bind("guarded") boolean guarded);

  /** Inserts or replaces; true when something changed. */
  default boolean upsert(ProviderDefinition provider) {
    return upsertJson(provider.name(), provider.tenantId(), json(provider), provider.egressGuarded()) > 0;
  }

  @SqlUpdate(
      "INSERT INTO providers (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), :guarded) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "egress_guarded = EXCLUDED.egress_guarded, updated_at = now() "
          + "WHERE providers.definition IS DISTINCT FROM EXCLUDED.definition OR providers.egress_guarded <> EXCLUDED.egress_guarded")
  int upsertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json, @Bind("guarded") boolean guarded);

  @SqlUpdate("DELETE FROM providers WHERE name = :name")
  int delete(@Bind("name") String name);

  private static String json(ProviderDefinition provider) {
    try {
      return RegistryJson.MAPPER.writeValueAsString(provider);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes {@code provider} as the registry file (or {@code PUT /admin/v1/registry}) gives it:
   * inserted unguarded when new, replaced when its stored definition differs (and then unguarded:
   * the platform wrote it), and left alone when the definition is the same, egress guard included,
   * so re-applying an export neither changes nor un-guards a tenant admin's record. True when
   * something changed. The admin API's {@link #upsert} keeps its own semantics.
   */
  default boolean applyFromRegistry(ProviderDefinition provider) {
    return applyJson(provider.name(), provider.tenantId(), json(provider)) > 0;
  }

  @SqlUpdate(
      "INSERT INTO providers (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), false) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "egress_guarded = false, updated_at = now() "
          + "WHERE providers.definition IS DISTINCT FROM EXCLUDED.definition OR providers.tenant_id IS DISTINCT FROM EXCLUDED.tenant_id")
  int applyJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json);

  class DefinitionMapper implements RowMapper<ProviderDefinition> {
    @Override
    public ProviderDefinition map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return RegistryJson.MAPPER.readValue(rs.getString(1), ProviderDefinition.class).withEgressGuarded(rs.getBoolean(2));
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable provider definition", e);
      }
    }
  }
}
