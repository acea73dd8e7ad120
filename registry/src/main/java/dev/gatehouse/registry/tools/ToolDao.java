package dev.gatehouse.registry.tools;

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

/** The tool catalog. Definitions are stored whole as JSONB under their unique name. */
@RegisterRowMapper(ToolDao.DefinitionMapper.class)
public interface ToolDao {

  @SqlQuery("SELECT definition::text, egress_guarded FROM tools WHERE name = :name")
  Optional<ToolDefinition> find(@Bind("name") String name);

  @SqlQuery("SELECT definition::text, egress_guarded FROM tools ORDER BY name")
  List<ToolDefinition> list();

  /**
   * A page ordered by name of the tools a tenant sees (its own and the global ones), or of every
   * tool when {@code tenantId} is null.
   */
  @SqlQuery(
      "SELECT definition::text, egress_guarded FROM tools WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR name > :after) ORDER BY name LIMIT :limit")
  List<ToolDefinition> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  /** Inserts a new tool; false when the name is taken. */
  default boolean insert(ToolDefinition tool) {
    try {
      return insertJson(tool.name(), tool.tenantId(), RegistryJson.MAPPER.writeValueAsString(tool), tool.egressGuarded()) > 0;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SqlUpdate(
      "INSERT INTO tools (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), :guarded) "
          + "ON CONFLICT (name) DO NOTHING")
  int insertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json, @Bind("guarded") boolean guarded);

  @SqlUpdate("DELETE FROM tools WHERE name = :name")
  int delete(@Bind("name") String name);

  /** Inserts or replaces; returns true when something changed. */
  default boolean upsert(ToolDefinition tool) {
    try {
      return upsertJson(tool.name(), tool.tenantId(), RegistryJson.MAPPER.writeValueAsString(tool), tool.egressGuarded()) > 0;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SqlUpdate(
      "INSERT INTO tools (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), :guarded) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "egress_guarded = EXCLUDED.egress_guarded, updated_at = now() "
          + "WHERE tools.definition IS DISTINCT FROM EXCLUDED.definition OR tools.egress_guarded <> EXCLUDED.egress_guarded")
  int upsertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json, @Bind("guarded") boolean guarded);

  /**
   * Writes {@code tool} as the registry file (or {@code PUT /admin/v1/registry}) gives it:
   * inserted unguarded when new, replaced when its stored definition differs (and then unguarded:
   * the platform wrote it), and left alone when the definition is the same, egress guard included,
   * so re-applying an export neither changes nor un-guards a tenant admin's record. True when
   * something changed. The admin API's {@link #upsert} keeps its own semantics.
   */
  default boolean applyFromRegistry(ToolDefinition tool) {
    try {
      return applyJson(tool.name(), tool.tenantId(), RegistryJson.MAPPER.writeValueAsString(tool)) > 0;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SqlUpdate(
      "INSERT INTO tools (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), false) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "egress_guarded = false, updated_at = now() "
          + "WHERE tools.definition IS DISTINCT FROM EXCLUDED.definition OR tools.tenant_id IS DISTINCT FROM EXCLUDED.tenant_id")
  int applyJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json);

  class DefinitionMapper implements RowMapper<ToolDefinition> {
    @Override
    public ToolDefinition map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return RegistryJson.MAPPER.readValue(rs.getString(1), ToolDefinition.class).withEgressGuarded(rs.getBoolean(2));
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable tool definition", e);
      }
    }
  }
}
