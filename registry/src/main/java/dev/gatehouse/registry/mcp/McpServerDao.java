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
import org.jdbi.v3.sqlobject.transaction.Transaction;

/** Upstream MCP servers, stored whole as JSONB under their unique name. */
@RegisterRowMapper(McpServerDao.DefinitionMapper.class)
public interface McpServerDao {

  @SqlQuery("SELECT definition::text, egress_guarded FROM mcp_servers WHERE name = :name")
  Optional<McpServerDefinition> find(@Bind("name") String name);

  @SqlQuery("SELECT definition::text, egress_guarded FROM mcp_servers ORDER BY name")
  List<McpServerDefinition> list();

  /** The servers a tenant's agents may reach: its own and the global ones. */
  @SqlQuery("SELECT definition::text, egress_guarded FROM mcp_servers WHERE tenant_id IS NULL OR tenant_id = :tenantId ORDER BY name")
  List<McpServerDefinition> visibleTo(@Bind("tenantId") String tenantId);

  /** A page ordered by name of a tenant's (and the global) servers, or of all when tenantId is null. */
  @SqlQuery(
      "SELECT definition::text, egress_guarded FROM mcp_servers WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR name > :after) ORDER BY name LIMIT :limit")
  List<McpServerDefinition> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  /**
   * Inserts a new server; false when the name is taken. Throws {@link McpPrefixTaken} when another
   * server its agents also see has its prefix.
   */
  @Transaction
  default boolean insert(McpServerDefinition server) {
    lockWrites();
    refuseTakenPrefix(server);
    return insertJson(server.name(), server.tenantId(), json(server), server.egressGuarded()) > 0;
  }

  /**
   * Holds off other writes to the table until the transaction ends, so two servers written at
   * once cannot both take a prefix each saw free. Reads go on.
   */
  @SqlUpdate("LOCK TABLE mcp_servers IN SHARE ROW EXCLUSIVE MODE")
  void lockWrites();

  /**
   * Another server whose tools an agent of {@code tenantId} (null: global, so every tenant) would
   * see under {@code prefix}, besides the one named {@code name}: the first by name, if any.
   */
  @SqlQuery(
      "SELECT name FROM mcp_servers WHERE name <> :name AND COALESCE(definition->>'prefix', name) = :prefix "
          + "AND (CAST(:tenantId AS text) IS NULL OR tenant_id IS NULL OR tenant_id = :tenantId) ORDER BY name LIMIT 1")
  Optional<String> prefixHolder(@Bind("name") String name, @Bind("prefix") String prefix, @Bind("tenantId") String tenantId);

  /**
   * Throws {@link McpPrefixTaken} when another server the same agents see exposes its tools under
   * {@code server}'s prefix: one would hide the other's tools of the same name. Servers without a
   * prefix are not checked (their tools' names are the upstreams', and a prefixed server's tool
   * wins over an unprefixed one's).
   */
  default void refuseTakenPrefix(McpServerDefinition server) {
    String prefix = server.effectivePrefix();
    if (prefix.isEmpty()) {
      return;
    }
    Optional<String> holder = prefixHolder(server.name(), prefix, server.tenantId());
    if (holder.isPresent()) {
      throw new McpPrefixTaken(server.name(), prefix, holder.get());
    }
  }

  @SqlUpdate(
      "INSERT INTO mcp_servers (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), :guarded) "
          + "ON CONFLICT (name) DO NOTHING")
  int insertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json, @Bind("guarded") boolean guarded);

  /** Inserts or replaces; true when something changed. Throws {@link McpPrefixTaken} as {@link #insert} does. */
  @Transaction
  default boolean upsert(McpServerDefinition server) {
    lockWrites();
    refuseTakenPrefix(server);
    return upsertJson(server.name(), server.tenantId(), json(server), server.egressGuarded()) > 0;
  }

  @SqlUpdate(
      "INSERT INTO mcp_servers (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), :guarded) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "egress_guarded = EXCLUDED.egress_guarded, updated_at = now() "
          + "WHERE mcp_servers.definition IS DISTINCT FROM EXCLUDED.definition OR mcp_servers.egress_guarded <> EXCLUDED.egress_guarded")
  int upsertJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json, @Bind("guarded") boolean guarded);

  @SqlUpdate("DELETE FROM mcp_servers WHERE name = :name")
  int delete(@Bind("name") String name);

  private static String json(McpServerDefinition server) {
    try {
      return RegistryJson.MAPPER.writeValueAsString(server);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes {@code server} as the registry file (or {@code PUT /admin/v1/registry}) gives it:
   * inserted unguarded when new, replaced when its stored definition differs (and then unguarded:
   * the platform wrote it), and left alone when the definition is the same, egress guard included,
   * so re-applying an export neither changes nor un-guards a tenant admin's record. True when
   * something changed. The admin API's {@link #upsert} keeps its own semantics.
   */
  default boolean applyFromRegistry(McpServerDefinition server) {
    return applyJson(server.name(), server.tenantId(), json(server)) > 0;
  }

  @SqlUpdate(
      "INSERT INTO mcp_servers (name, tenant_id, definition, egress_guarded) VALUES (:name, :tenantId, CAST(:json AS jsonb), false) "
          + "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, tenant_id = EXCLUDED.tenant_id, "
          + "egress_guarded = false, updated_at = now() "
          + "WHERE mcp_servers.definition IS DISTINCT FROM EXCLUDED.definition OR mcp_servers.tenant_id IS DISTINCT FROM EXCLUDED.tenant_id")
  int applyJson(@Bind("name") String name, @Bind("tenantId") String tenantId, @Bind("json") String json);

  class DefinitionMapper implements RowMapper<McpServerDefinition> {
    @Override
    public McpServerDefinition map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return RegistryJson.MAPPER.readValue(rs.getString(1), McpServerDefinition.class).withEgressGuarded(rs.getBoolean(2));
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable MCP server definition", e);
      }
    }
  }
}
