package dev.gatehouse.registry.idp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.db.RegistryDatabase;
import dev.gatehouse.registry.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/** V18: providers stored with the old default list (EdDSA among others) lose EdDSA, so their export applies again. */
class IdentityProviderMigrationTest {
  @Test
  void eddsaLeavesTheListsItWasOneOfAndStaysWhereItWasAlone() {
    try (TestDatabase db = TestDatabase.createEmpty()) {
      RegistryDatabase.flyway(db.dataSource()).target("17").load().migrate();
      Jdbi jdbi = db.jdbi();
      jdbi.useHandle(h -> {
        h.execute("INSERT INTO tenants (id, name) VALUES ('ten_a', 'a')");
        String insert = "INSERT INTO identity_providers (id, tenant_id, name, issuer, audience, jwks_url, algorithms, agent_claim, clock_skew_seconds) "
            + "VALUES (?, 'ten_a', ?, ?, 'gh', 'https://x.example/jwks', CAST(? AS jsonb), 'sub', 60)";
        h.execute(insert, "idp_default", "d", "https://d.example", "[\"RS256\", \"ES256\", \"EdDSA\"]");
        h.execute(insert, "idp_alone", "e", "https://e.example", "[\"EdDSA\"]");
        h.execute(insert, "idp_rsa", "r", "https://r.example", "[\"RS256\"]");
      });

      RegistryDatabase.migrate(db.dataSource());

      IdentityProviderDao dao = jdbi.onDemand(IdentityProviderDao.class);
      assertThat(dao.find("idp_default").orElseThrow().algorithms()).containsExactly("RS256", "ES256");
      assertThat(dao.find("idp_alone").orElseThrow().algorithms()).containsExactly("EdDSA");
      assertThat(dao.find("idp_rsa").orElseThrow().algorithms()).containsExactly("RS256");
    }
  }
}
