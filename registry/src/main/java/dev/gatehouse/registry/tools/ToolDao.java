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

  @SqlQuery("SELECT definition::text FROM tools WHERE name = :name")
  Optional<ToolDefinition> find(@Bind("name") String name);

  @SqlQuery("SELECT definition::text FROM tools ORDER BY name")
  List<ToolDefinition> list();

  /** Inserts or replaces; returns true when something changed. */
  default boolean upsert(ToolDefinition tool) {
    try {
      return upsertJson(tool.name(), RegistryJson.MAPPER.writeValueAsString(tool)) > 0;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SqlUpdate(
      "INSERT INTO tools (name, definition) VALUES (:name, CAST(:json AS jsonb)) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now() "
          + "WHERE tools.definition IS DISTINCT FROM EXCLUDED.definition")
  int upsertJson(@Bind("name") String name, @Bind("json") String json);

  class DefinitionMapper implements RowMapper<ToolDefinition> {
    @Override
    public ToolDefinition map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return RegistryJson.MAPPER.readValue(rs.getString(1), ToolDefinition.class);
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable tool definition", e);
      }
    }
  }
}
