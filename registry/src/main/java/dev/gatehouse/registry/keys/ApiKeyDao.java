package dev.gatehouse.registry.keys;

import java.util.Optional;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Agent API keys, stored only as SHA-256 hashes (see {@link ApiKeys}). */
public interface ApiKeyDao {

  /** The agent a live (not revoked) key belongs to. */
  @SqlQuery("SELECT agent FROM api_keys WHERE key_hash = :hash AND revoked_at IS NULL")
  Optional<String> findAgent(@Bind("hash") byte[] hash);

  /** Registers a key for an agent; registering the same key again changes nothing. */
  @SqlUpdate(
      "INSERT INTO api_keys (id, agent, key_hash) VALUES (:id, :agent, :hash) "
          + "ON CONFLICT (key_hash) DO NOTHING")
  void insert(@Bind("id") String id, @Bind("agent") String agent, @Bind("hash") byte[] hash);
}
