package dev.gatehouse.frontend.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A deleted identity provider's verifier, and the keys it cached, are not kept. */
class OidcVerifiersTest {
  @Test
  void theVerifiersOfDeletedProvidersAreDropped() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      String tenant = Ids.newId("ten");
      db.jdbi().onDemand(TenantDao.class).insert(tenant, "t");
      IdentityProviderDao dao = db.jdbi().onDemand(IdentityProviderDao.class);
      RSAKey key = new RSAKeyGenerator(2048).keyID("k").generate();
      OidcAuthenticator oidc = new OidcAuthenticator(db.jdbi(), Duration.ofMinutes(15));
      for (int i = 0; i < 3; i++) {
        String issuer = "https://issuer-" + i + ".example";
        // Nothing listens on port 1: the keys cannot be fetched, but the verifier is made.
        dao.upsert(new IdentityProvider("idp_" + i, tenant, "p" + i, issuer, "gh", "http://127.0.0.1:1/jwks", List.of("RS256"), "sub", 60));
        SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k").build(),
            new JWTClaimsSet.Builder().issuer(issuer).audience("gh").subject("a").expirationTime(new Date(System.currentTimeMillis() + 60_000)).build());
        token.sign(new RSASSASigner(key));
        assertThatThrownBy(() -> oidc.authenticate(token.serialize())).isInstanceOf(AuthenticationException.class);
      }
      assertThat(oidc.verifiersKept()).isEqualTo(3);
      dao.delete("idp_0");
      dao.delete("idp_2");
      oidc.forgetRemoved();
      assertThat(oidc.verifiersKept()).isEqualTo(1);
    }
  }
}
