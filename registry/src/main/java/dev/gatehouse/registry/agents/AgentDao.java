package dev.gatehouse.registry.agents;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.gatehouse.registry.RegistryJson;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

@RegisterRowMapper(AgentDao.AgentMapper.class)
public interface AgentDao {
  String COLUMNS = "id, tenant_id, name, subject, permissions::text AS permissions, created_at, updated_at";

  default void insert(Agent a) {
    insertJson(a.id(), a.tenantId(), a.name(), a.subject(), json(a.permissions()));
  }

  @SqlUpdate(
      "INSERT INTO agents (id, tenant_id, name, subject, permissions) "
          + "VALUES (:id, :tenantId, :name, :subject, CAST(:permissions AS jsonb))")
  void insertJson(
      @Bind("id") String id,
      @Bind("tenantId") String tenantId,
      @Bind("name") String name,
      @Bind("subject") String subject,
      @Bind("permissions") String permissions);

  default int update(String id, String name, String subject, Permissions permissions) {
    return updateJson(id, name, subject, json(permissions));
  }

  @SqlUpdate(
      "UPDATE agents SET name = :name, subject = :subject, permissions = CAST(:permissions AS jsonb), "
          + "updated_at = now() WHERE id = :id")
  int updateJson(
      @Bind("id") String id,
      @Bind("name") String name,
      @Bind("subject") String subject,
      @Bind("permissions") String permissions);

  /** The statement of {@link #find} (and of {@link AgentStatements#find}, on a call's path). */
  String FIND = "SELECT " + COLUMNS + " FROM agents WHERE id = :id";

  @SqlQuery(FIND)
  Optional<Agent> find(@Bind("id") String id);

  /** Which of {@code ids} are agents that exist. */
  @SqlQuery("SELECT id FROM agents WHERE id = ANY(:ids)")
  List<String> existing(@Bind("ids") String[] ids);

  @SqlQuery("SELECT " + COLUMNS + " FROM agents WHERE tenant_id = :tenantId AND name = :name")
  Optional<Agent> findByName(@Bind("tenantId") String tenantId, @Bind("name") String name);

  @SqlQuery("SELECT " + COLUMNS + " FROM agents WHERE tenant_id = :tenantId AND subject = :subject")
  Optional<Agent> findBySubject(@Bind("tenantId") String tenantId, @Bind("subject") String subject);

  /** A page ordered by id; {@code tenantId} null lists every tenant's agents. */
  @SqlQuery(
      "SELECT " + COLUMNS + " FROM agents WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR id > :after) ORDER BY id LIMIT :limit")
  List<Agent> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  /** Deletes the agent and its keys; its tasks and audit rows stay. */
  @SqlUpdate("WITH k AS (DELETE FROM api_keys WHERE agent_id = :id) DELETE FROM agents WHERE id = :id")
  int delete(@Bind("id") String id);

  private static String json(Permissions p) {
    try {
      return RegistryJson.MAPPER.writeValueAsString(p);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  class AgentMapper implements RowMapper<Agent> {
    @Override
    public Agent map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return new Agent(
            rs.getString("id"),
            rs.getString("tenant_id"),
            rs.getString("name"),
            rs.getString("subject"),
            RegistryJson.MAPPER.readValue(rs.getString("permissions"), Permissions.class),
            instant(rs.getTimestamp("created_at")),
            instant(rs.getTimestamp("updated_at")));
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable permissions of agent " + rs.getString("id"), e);
      }
    }

    private static java.time.Instant instant(Timestamp t) {
      return t == null ? null : t.toInstant();
    }
  }
}
