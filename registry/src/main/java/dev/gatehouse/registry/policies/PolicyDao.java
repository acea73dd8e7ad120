package dev.gatehouse.registry.policies;

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

/**
 * Policies, stored whole as JSONB under their unique name with a version that a change to the
 * definition raises by one (an unchanged upsert keeps it).
 */
@RegisterRowMapper(PolicyDao.Mapper.class)
public interface PolicyDao {

  @SqlQuery("SELECT definition::text, version FROM policies WHERE name = :name")
  Optional<PolicyDefinition> find(@Bind("name") String name);

  @SqlQuery("SELECT definition::text, version FROM policies ORDER BY name")
  List<PolicyDefinition> list();

  /** The policies that govern a tenant's calls: its own and the global ones, by name. */
  @SqlQuery(
      "SELECT definition::text, version FROM policies WHERE tenant_id IS NULL OR tenant_id = :tenantId ORDER BY name")
  List<PolicyDefinition> governing(@Bind("tenantId") String tenantId);

  /** A page ordered by name of a tenant's (and the global) policies, or of all when tenantId is null. */
  @SqlQuery(
      "SELECT definition::text, version FROM policies WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR name > :after) ORDER BY name LIMIT :limit")
  List<PolicyDefinition> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  /** Inserts a new policy at version 1; false when the name is taken. */
  default boolean insert(PolicyDefinition policy) {
    return insertJson(policy.name(), policy.tenantId(), policy.kind(), json(policy)) > 0;
  }

  @SqlUpdate(
      "INSERT INTO policies (name, tenant_id, kind, definition) VALUES (:name, :tenantId, :kind, CAST(:json AS jsonb)) "
          + "ON CONFLICT (name) DO NOTHING")
  int insertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("kind") String kind, @Bind("json") String json);

  /** Inserts or replaces; true when something changed (and the version went up). */
  default boolean upsert(PolicyDefinition policy) {
    return upsertJson(policy.name(), policy.tenantId(), policy.kind(), json(policy)) > 0;
  }

  @SqlUpdate(
      "INSERT INTO policies (name, tenant_id, kind, definition) VALUES (:name, :tenantId, :kind, CAST(:json AS jsonb)) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "kind = EXCLUDED.kind, version = policies.version + 1, updated_at = now() "
          + "WHERE policies.definition IS DISTINCT FROM EXCLUDED.definition OR policies.tenant_id IS DISTINCT FROM EXCLUDED.tenant_id")
  int upsertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("kind") String kind, @Bind("json") String json);

  @SqlUpdate("DELETE FROM policies WHERE name = :name")
  int delete(@Bind("name") String name);

  /** The definition as stored: the entry without its version (the column holds it). */
  private static String json(PolicyDefinition policy) {
    try {
      return RegistryJson.MAPPER.writeValueAsString(policy.withVersion(null));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  class Mapper implements RowMapper<PolicyDefinition> {
    @Override
    public PolicyDefinition map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return RegistryJson.MAPPER.readValue(rs.getString(1), PolicyDefinition.class).withVersion(rs.getInt(2));
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable policy", e);
      }
    }
  }
}
