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

/** Models (aliases), stored whole as JSONB under their unique name. */
@RegisterRowMapper(ModelDao.DefinitionMapper.class)
public interface ModelDao {

  @SqlQuery("SELECT definition::text FROM models WHERE name = :name")
  Optional<ModelDefinition> find(@Bind("name") String name);

  @SqlQuery("SELECT definition::text FROM models ORDER BY name")
  List<ModelDefinition> list();

  /** The models a tenant may use: its own and the global ones. */
  @SqlQuery("SELECT definition::text FROM models WHERE tenant_id IS NULL OR tenant_id = :tenantId ORDER BY name")
  List<ModelDefinition> visibleTo(@Bind("tenantId") String tenantId);

  /** A page ordered by name of a tenant's (and the global) models, or of all when tenantId is null. */
  @SqlQuery(
      "SELECT definition::text FROM models WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR name > :after) ORDER BY name LIMIT :limit")
  List<ModelDefinition> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  /** The names of the models with a target on this provider. */
  @SqlQuery(
      "SELECT name FROM models WHERE definition->'targets' @> jsonb_build_array(jsonb_build_object('provider', CAST(:provider AS text))) "
          + "ORDER BY name")
  List<String> usingProvider(@Bind("provider") String provider);

  /** The names of the models that fall back to this one. */
  @SqlQuery("SELECT name FROM models WHERE definition->'fallbacks' @> jsonb_build_array(CAST(:model AS text)) ORDER BY name")
  List<String> fallingBackTo(@Bind("model") String model);

  /** Inserts a new model; false when the name is taken. */
  default boolean insert(ModelDefinition model) {
    return insertJson(model.name(), model.tenantId(), json(model)) > 0;
  }

  @SqlUpdate(
      "INSERT INTO models (name, tenant_id, definition) VALUES (:name, :tenantId, CAST(:json AS jsonb)) "
          + "ON CONFLICT (name) DO NOTHING")
  int insertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json);

  /** Inserts or replaces; true when something changed. */
  default boolean upsert(ModelDefinition model) {
    return upsertJson(model.name(), model.tenantId(), json(model)) > 0;
  }

  @SqlUpdate(
      "INSERT INTO models (name, tenant_id, definition) VALUES (:name, :tenantId, CAST(:json AS jsonb)) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "updated_at = now() WHERE models.definition IS DISTINCT FROM EXCLUDED.definition")
  int upsertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json);

  @SqlUpdate("DELETE FROM models WHERE name = :name")
  int delete(@Bind("name") String name);

  private static String json(ModelDefinition model) {
    try {
      return RegistryJson.MAPPER.writeValueAsString(model);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  class DefinitionMapper implements RowMapper<ModelDefinition> {
    @Override
    public ModelDefinition map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return RegistryJson.MAPPER.readValue(rs.getString(1), ModelDefinition.class);
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable model definition", e);
      }
    }
  }
}
