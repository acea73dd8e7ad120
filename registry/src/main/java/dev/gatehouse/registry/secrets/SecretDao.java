package dev.gatehouse.registry.secrets;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Sealed secrets. Nothing here returns a value in clear; {@link SecretBox} opens them. */
public interface SecretDao {

  /** What listings show: never the value. */
  record Info(String id, String tenantId, String name, String keyId, Instant createdAt, Instant updatedAt) {}

  /** A sealed row. */
  record Row(String id, String tenantId, String name, String keyId, byte[] nonce, byte[] ciphertext) {
    public SecretBox.Sealed sealed() {
      return new SecretBox.Sealed(keyId, nonce, ciphertext);
    }
  }

  @SqlUpdate(
      "INSERT INTO secrets (id, tenant_id, name, key_id, nonce, ciphertext) VALUES (:id, :tenantId, :name, :keyId, :nonce, :ciphertext) "
          + "ON CONFLICT (COALESCE(tenant_id, ''), name) DO UPDATE SET key_id = EXCLUDED.key_id, nonce = EXCLUDED.nonce, "
          + "ciphertext = EXCLUDED.ciphertext, updated_at = now()")
  void put(
      @Bind("id") String id,
      @Bind("tenantId") String tenantId,
      @Bind("name") String name,
      @Bind("keyId") String keyId,
      @Bind("nonce") byte[] nonce,
      @Bind("ciphertext") byte[] ciphertext);

  @RegisterConstructorMapper(Row.class)
  @SqlQuery(
      "SELECT id, tenant_id, name, key_id, nonce, ciphertext FROM secrets "
          + "WHERE COALESCE(tenant_id, '') = COALESCE(:tenantId, '') AND name = :name")
  Optional<Row> find(@Bind("tenantId") String tenantId, @Bind("name") String name);

  /** A page ordered by id; {@code tenantId} null lists every tenant's secrets and the global ones. */
  @RegisterConstructorMapper(Info.class)
  @SqlQuery(
      "SELECT id, tenant_id, name, key_id, created_at, updated_at FROM secrets "
          + "WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR id > :after) ORDER BY id LIMIT :limit")
  List<Info> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  @RegisterConstructorMapper(Info.class)
  @SqlQuery(
      "SELECT id, tenant_id, name, key_id, created_at, updated_at FROM secrets "
          + "WHERE COALESCE(tenant_id, '') = COALESCE(:tenantId, '') AND name = :name")
  Optional<Info> info(@Bind("tenantId") String tenantId, @Bind("name") String name);

  @RegisterConstructorMapper(Row.class)
  @SqlQuery("SELECT id, tenant_id, name, key_id, nonce, ciphertext FROM secrets WHERE key_id <> :keyId")
  List<Row> sealedWithOtherThan(@Bind("keyId") String keyId);

  /** One row sealed under each master key in use (the one with the least id), for a check that each can be opened. */
  @RegisterConstructorMapper(Row.class)
  @SqlQuery("SELECT DISTINCT ON (key_id) id, tenant_id, name, key_id, nonce, ciphertext FROM secrets ORDER BY key_id, id")
  List<Row> onePerKey();

  @SqlUpdate("UPDATE secrets SET key_id = :keyId, nonce = :nonce, ciphertext = :ciphertext, updated_at = now() WHERE id = :id")
  void reseal(@Bind("id") String id, @Bind("keyId") String keyId, @Bind("nonce") byte[] nonce, @Bind("ciphertext") byte[] ciphertext);

  @SqlUpdate("DELETE FROM secrets WHERE COALESCE(tenant_id, '') = COALESCE(:tenantId, '') AND name = :name")
  int delete(@Bind("tenantId") String tenantId, @Bind("name") String name);
}
