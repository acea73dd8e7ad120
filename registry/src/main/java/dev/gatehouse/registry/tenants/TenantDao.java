package dev.gatehouse.registry.tenants;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

@RegisterConstructorMapper(Tenant.class)
public interface TenantDao {

  @SqlUpdate("INSERT INTO tenants (id, name) VALUES (:id, :name)")
  void insert(@Bind("id") String id, @Bind("name") String name);

  @SqlQuery("SELECT id, name, created_at FROM tenants WHERE id = :id")
  Optional<Tenant> find(@Bind("id") String id);

  @SqlQuery("SELECT id, name, created_at FROM tenants WHERE name = :name")
  Optional<Tenant> findByName(@Bind("name") String name);

  /** A page ordered by name; {@code after} is the last name of the previous page, or null. */
  @SqlQuery(
      "SELECT id, name, created_at FROM tenants WHERE (CAST(:after AS text) IS NULL OR name > :after) "
          + "ORDER BY name LIMIT :limit")
  List<Tenant> page(@Bind("after") String after, @Bind("limit") int limit);

  @SqlUpdate("UPDATE tenants SET name = :name WHERE id = :id")
  int rename(@Bind("id") String id, @Bind("name") String name);

  /**
   * Deletes a tenant that owns nothing and has no running task; returns false otherwise. Its
   * revoked and expired admin keys go with it: they hold nothing but would hold the tenant for
   * good (a key is revoked, never deleted, and the key's row refers to its tenant). Its live admin
   * keys hold it.
   */
  @SqlUpdate(
      "WITH dead AS (DELETE FROM admin_keys k WHERE k.tenant_id = :id "
          + "AND (k.revoked_at IS NOT NULL OR k.expires_at <= now()) "
          + "AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = :id AND " + OWNS_NOTHING + ") RETURNING 1) "
          + "DELETE FROM tenants t WHERE t.id = :id AND " + OWNS_NOTHING)
  boolean deleteIfEmpty(@Bind("id") String id);

  /** Of tenant {@code t}: nothing stored, no live admin key, no running task. */
  String OWNS_NOTHING =
      "NOT EXISTS (SELECT 1 FROM agents a WHERE a.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM tools x WHERE x.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM secrets s WHERE s.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM identity_providers i WHERE i.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM providers p WHERE p.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM models m WHERE m.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM mcp_servers ms WHERE ms.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM virtual_servers vs WHERE vs.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM policies po WHERE po.tenant_id = t.id) "
          + "AND NOT EXISTS (SELECT 1 FROM admin_keys k WHERE k.tenant_id = t.id AND k.revoked_at IS NULL "
          + "AND (k.expires_at IS NULL OR k.expires_at > now())) "
          + "AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.tenant_id = t.id AND r.status = 'RUNNING')";
}
