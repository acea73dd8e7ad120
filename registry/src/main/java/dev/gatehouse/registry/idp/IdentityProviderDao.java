package dev.gatehouse.registry.idp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
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
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

@RegisterRowMapper(IdentityProviderDao.Mapper.class)
public interface IdentityProviderDao {
  String COLUMNS =
      "id, tenant_id, name, issuer, audience, jwks_url, algorithms::text AS algorithms, agent_claim, clock_skew_seconds, egress_guarded";

  default void upsert(IdentityProvider p) {
    upsertJson(p, json(p.algorithms()));
  }

  @SqlUpdate(
      "INSERT INTO identity_providers (id, tenant_id, name, issuer, audience, jwks_url, algorithms, agent_claim, clock_skew_seconds, egress_guarded) "
          + "VALUES (:p.id, :p.tenantId, :p.name, :p.issuer, :p.audience, :p.jwksUrl, CAST(:algorithms AS jsonb), :p.agentClaim, :p.clockSkewSeconds, "
          + ":p.egressGuarded) "
          + "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, issuer = EXCLUDED.issuer, audience = EXCLUDED.audience, "
          + "jwks_url = EXCLUDED.jwks_url, algorithms = EXCLUDED.algorithms, agent_claim = EXCLUDED.agent_claim, "
          + "clock_skew_seconds = EXCLUDED.clock_skew_seconds, egress_guarded = EXCLUDED.egress_guarded, updated_at = now()")
  void upsertJson(@BindMethods("p") IdentityProvider p, @Bind("algorithms") String algorithms);

  /** Every distinct issuer: the authorization servers of Gatehouse's protected-resource metadata. */
  @SqlQuery("SELECT DISTINCT issuer FROM identity_providers ORDER BY issuer")
  List<String> issuers();

  @SqlQuery("SELECT " + COLUMNS + " FROM identity_providers WHERE id = :id")
  Optional<IdentityProvider> find(@Bind("id") String id);

  /** The ids of every provider (what a cache of verifiers keeps). */
  @SqlQuery("SELECT id FROM identity_providers")
  java.util.Set<String> ids();

  @SqlQuery("SELECT " + COLUMNS + " FROM identity_providers WHERE issuer = :issuer")
  Optional<IdentityProvider> findByIssuer(@Bind("issuer") String issuer);

  @SqlQuery(
      "SELECT " + COLUMNS + " FROM identity_providers WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id = :tenantId) "
          + "ORDER BY tenant_id, name")
  List<IdentityProvider> list(@Bind("tenantId") String tenantId);

  /** A page ordered by id; {@code tenantId} null lists every tenant's. */
  @SqlQuery(
      "SELECT " + COLUMNS + " FROM identity_providers WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:after AS text) IS NULL OR id > :after) ORDER BY id LIMIT :limit")
  List<IdentityProvider> page(@Bind("tenantId") String tenantId, @Bind("after") String after, @Bind("limit") int limit);

  @SqlUpdate("DELETE FROM identity_providers WHERE id = :id")
  int delete(@Bind("id") String id);

  private static String json(List<String> algorithms) {
    try {
      return RegistryJson.MAPPER.writeValueAsString(algorithms);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  class Mapper implements RowMapper<IdentityProvider> {
    @Override
    public IdentityProvider map(ResultSet rs, StatementContext ctx) throws SQLException {
      try {
        return new IdentityProvider(
            rs.getString("id"),
            rs.getString("tenant_id"),
            rs.getString("name"),
            rs.getString("issuer"),
            rs.getString("audience"),
            rs.getString("jwks_url"),
            RegistryJson.MAPPER.readValue(rs.getString("algorithms"), new TypeReference<List<String>>() {}),
            rs.getString("agent_claim"),
            rs.getInt("clock_skew_seconds"),
            rs.getBoolean("egress_guarded"));
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable identity provider " + rs.getString("id"), e);
      }
    }
  }
}
