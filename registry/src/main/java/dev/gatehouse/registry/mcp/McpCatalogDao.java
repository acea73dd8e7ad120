package dev.gatehouse.registry.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.registry.RegistryJson;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.statement.UseRowMapper;
import org.jdbi.v3.sqlobject.transaction.Transaction;

/** What discovery found on each MCP server, and each server's health. */
public interface McpCatalogDao {

  /** Everything of one kind on the servers a tenant sees (its own and global), ordered by server and name. */
  @SqlQuery(
      "SELECT c.server, c.kind, c.name, c.body::text FROM mcp_catalog c JOIN mcp_servers s ON s.name = c.server "
          + "WHERE c.kind = :kind AND (s.tenant_id IS NULL OR s.tenant_id = :tenantId) ORDER BY c.server, c.name")
  @UseRowMapper(EntryMapper.class)
  List<McpCatalogEntry> visibleTo(@Bind("tenantId") String tenantId, @Bind("kind") String kind);

  @SqlQuery("SELECT server, kind, name, body::text FROM mcp_catalog WHERE server = :server ORDER BY kind, name")
  @UseRowMapper(EntryMapper.class)
  List<McpCatalogEntry> ofServer(@Bind("server") String server);

  @SqlQuery("SELECT server, kind, name, body::text FROM mcp_catalog WHERE server = :server AND kind = :kind AND name = :name")
  @UseRowMapper(EntryMapper.class)
  Optional<McpCatalogEntry> find(@Bind("server") String server, @Bind("kind") String kind, @Bind("name") String name);

  /** Replaces a server's whole catalog and marks it up, in one transaction. */
  @Transaction
  default void replace(String server, List<McpCatalogEntry> entries, JsonNode serverInfo, JsonNode capabilities) {
    deleteCatalog(server);
    List<String> kinds = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    for (McpCatalogEntry e : entries) {
      kinds.add(e.kind());
      names.add(e.name());
      bodies.add(e.body().toString());
    }
    if (!entries.isEmpty()) {
      insertEntries(server, kinds, names, bodies);
    }
    markUp(server, json(serverInfo), json(capabilities));
  }

  @SqlUpdate("DELETE FROM mcp_catalog WHERE server = :server")
  void deleteCatalog(@Bind("server") String server);

  @SqlBatch(
      "INSERT INTO mcp_catalog (server, kind, name, body) VALUES (:server, :kind, :name, CAST(:body AS jsonb)) "
          + "ON CONFLICT DO NOTHING")
  void insertEntries(
      @Bind("server") String server,
      @Bind("kind") List<String> kinds,
      @Bind("name") List<String> names,
      @Bind("body") List<String> bodies);

  @SqlUpdate(
      "INSERT INTO mcp_server_status (server, state, error, server_info, capabilities, checked_at, refreshed_at) "
          + "SELECT :server, 'up', NULL, CAST(:info AS jsonb), CAST(:caps AS jsonb), now(), now() "
          + "WHERE EXISTS (SELECT 1 FROM mcp_servers WHERE name = :server) "
          + "ON CONFLICT (server) DO UPDATE SET state = 'up', error = NULL, server_info = EXCLUDED.server_info, "
          + "capabilities = EXCLUDED.capabilities, checked_at = now(), refreshed_at = now()")
  void markUp(@Bind("server") String server, @Bind("info") String info, @Bind("caps") String capabilities);

  /** Records that a server could not be reached; its last catalog stays. */
  @SqlUpdate(
      "INSERT INTO mcp_server_status (server, state, error, checked_at) "
          + "SELECT :server, 'down', :error, now() WHERE EXISTS (SELECT 1 FROM mcp_servers WHERE name = :server) "
          + "ON CONFLICT (server) DO UPDATE SET state = 'down', error = EXCLUDED.error, checked_at = now()")
  void markDown(@Bind("server") String server, @Bind("error") String error);

  @SqlQuery("SELECT server, state, error, server_info::text, capabilities::text, checked_at, refreshed_at FROM mcp_server_status WHERE server = :server")
  @UseRowMapper(StatusMapper.class)
  Optional<McpServerStatus> status(@Bind("server") String server);

  @SqlQuery("SELECT server, state, error, server_info::text, capabilities::text, checked_at, refreshed_at FROM mcp_server_status ORDER BY server")
  @UseRowMapper(StatusMapper.class)
  List<McpServerStatus> statuses();

  private static String json(JsonNode node) {
    return node == null || node.isNull() ? null : node.toString();
  }

  private static JsonNode parse(String text) throws SQLException {
    if (text == null) {
      return null;
    }
    try {
      return RegistryJson.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable JSON in the MCP catalog", e);
    }
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }

  class EntryMapper implements RowMapper<McpCatalogEntry> {
    @Override
    public McpCatalogEntry map(ResultSet rs, StatementContext ctx) throws SQLException {
      return new McpCatalogEntry(rs.getString(1), rs.getString(2), rs.getString(3), parse(rs.getString(4)));
    }
  }

  class StatusMapper implements RowMapper<McpServerStatus> {
    @Override
    public McpServerStatus map(ResultSet rs, StatementContext ctx) throws SQLException {
      return new McpServerStatus(
          rs.getString(1),
          rs.getString(2),
          rs.getString(3),
          parse(rs.getString(4)),
          parse(rs.getString(5)),
          instant(rs.getTimestamp(6)),
          instant(rs.getTimestamp(7)));
    }
  }

}
