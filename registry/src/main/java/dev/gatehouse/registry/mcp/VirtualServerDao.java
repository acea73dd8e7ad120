package dev.gatehouse.registry.mcp;

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

/** Virtual MCP servers, stored whole as JSONB under their unique name. */
@RegisterRowMapper(VirtualServerDao.Mapper.class)
public interface VirtualServerDao {

  @SqlQuery("SELECT definition::text FROM virtual_servers WHERE name = :name")
  Optional<VirtualServer> find(@Bind("name") String name);

  @SqlQuery("SELECT definition::text FROM virtual_servers ORDER BY name")
  List<VirtualServer> list();

  @SqlQuery(
      "SELECT definition::text FROM virtual_servers WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR name > :after) ORDER BY name LIMIT :limit")
  List<VirtualServer> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  default boolean insert(VirtualServer server) {
    return insertJson(server.name(), server.tenantId(), json(server)) > 0;
  }

  @SqlUpdate(
      "INSERT INTO virtual_servers (name, tenant_id, definition) VALUES (:name, :tenantId, CAST(:json AS jsonb)) "
          + "ON CONFLICT (name) DO NOTHING")
  int insertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json);

  default boolean upsert(VirtualServer server) {
    return upsertJson(server.name(), server.tenantId(), json(server)) > 0;
  }

  @SqlUpdate(
      "INSERT INTO virtual_servers (name, tenant_id, definition) VALUES (:name, :tenantId, CAST(:json AS jsonb)) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "updated_at = now() WHERE virtual_servers.definition IS DISTINCT FROM EXCLUDED.definition")
  int upsertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json);

  @SqlUpdate("DELETE FROM virtual_servers WHERE name = :name")
  int delete(@Bind("name") String name);

  private static String json(VirtualServer server) {
    try {
      return RegistryJson.MAPPER.writeValueAsString(server);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  class Mapper implements RowMapper<VirtualServer> {
    @Override
    public VirtualServer map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return RegistryJson.MAPPER.readValue(rs.getString(1), VirtualServer.class);
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable virtual server", e);
      }
    }
  }
}
