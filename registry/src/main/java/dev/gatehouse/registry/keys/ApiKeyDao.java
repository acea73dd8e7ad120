package dev.gatehouse.registry.keys;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Agent keys (stored as hashes) and admin keys. */
@RegisterConstructorMapper(KeyRecord.class)
public interface ApiKeyDao {

  /** What authentication needs: the stored hash and the key's state, by lookup id. */
  record Stored(String id, String owner, byte[] secretHash, Instant expiresAt, Instant revokedAt) {
    public boolean liveAt(Instant now) {
      return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
    }
  }

  @SqlUpdate(
      "INSERT INTO api_keys (id, agent_id, prefix, secret_hash, expires_at) "
          + "VALUES (:id, :agentId, :prefix, :hash, :expiresAt) ON CONFLICT (id) DO NOTHING")
  boolean insertAgentKey(
      @Bind("id") String id,
      @Bind("agentId") String agentId,
      @Bind("prefix") String prefix,
      @Bind("hash") byte[] hash,
      @Bind("expiresAt") OffsetDateTime expiresAt);

  @RegisterConstructorMapper(Stored.class)
  @SqlQuery("SELECT id, agent_id AS owner, secret_hash, expires_at, revoked_at FROM api_keys WHERE id = :id")
  Optional<Stored> findAgentKey(@Bind("id") String id);

  /** A page of the agent's keys ordered by id, after {@code after} (from the start when null). */
  @SqlQuery(
      "SELECT id, agent_id AS owner, NULL AS name, prefix, created_at, expires_at, revoked_at FROM api_keys "
          + "WHERE agent_id = :agentId AND (CAST(:after AS text) IS NULL OR id > :after) ORDER BY id LIMIT :limit")
  List<KeyRecord> pageAgentKeys(@Bind("agentId") String agentId, @Bind("after") String after, @Bind("limit") int limit);

  @SqlUpdate(
      "INSERT INTO admin_keys (id, tenant_id, name, prefix, secret_hash, expires_at) "
          + "VALUES (:id, :tenantId, :name, :prefix, :hash, :expiresAt) ON CONFLICT (id) DO NOTHING")
  boolean insertAdminKey(
      @Bind("id") String id,
      @Bind("tenantId") String tenantId,
      @Bind("name") String name,
      @Bind("prefix") String prefix,
      @Bind("hash") byte[] hash,
      @Bind("expiresAt") OffsetDateTime expiresAt);

  @RegisterConstructorMapper(Stored.class)
  @SqlQuery("SELECT id, tenant_id AS owner, secret_hash, expires_at, revoked_at FROM admin_keys WHERE id = :id")
  Optional<Stored> findAdminKey(@Bind("id") String id);

  /** A page of admin keys ordered by id; {@code tenantId} null lists every tenant's and the platform's. */
  @SqlQuery(
      "SELECT id, tenant_id AS owner, name, prefix, created_at, expires_at, revoked_at FROM admin_keys "
          + "WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR id > :after) ORDER BY id LIMIT :limit")
  List<KeyRecord> pageAdminKeys(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  @SqlQuery(
      "SELECT id, agent_id AS owner, NULL AS name, prefix, created_at, expires_at, revoked_at FROM api_keys WHERE id = :id "
          + "UNION ALL SELECT id, tenant_id AS owner, name, prefix, created_at, expires_at, revoked_at FROM admin_keys WHERE id = :id")
  Optional<KeyRecord> findKey(@Bind("id") String id);

  /** Revokes an agent or admin key at once; returns 0 when there was no live key to revoke. */
  @SqlQuery(
      "WITH a AS (UPDATE api_keys SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL RETURNING id), "
          + "b AS (UPDATE admin_keys SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL RETURNING id) "
          + "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)")
  int revokeCount(@Bind("id") String id);

}
