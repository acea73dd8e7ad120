package dev.gatehouse.frontend.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What one token, or one identity provider's JWKS, may cost: the keys a signature is tried with,
 * how long a fetch may take, a set with one unreadable key; and the scope claims in the forms
 * providers write them.
 */
class OidcKeyLimitsTest {
  private static final Set<JWSAlgorithm> RS256 = Set.of(JWSAlgorithm.RS256);

  private static List<Key> select(List<JWK> keys, JWSHeader header) throws Exception {
    return new OidcAuthenticator.BoundedKeySelector(RS256, new ImmutableJWKSet<SecurityContext>(new JWKSet(keys))).selectJWSKeys(header, null);
  }

  @Test
  void aTokenWithoutAKeyIdIsTriedWithAtMostFourKeys() throws Exception {
    RSAKey one = new RSAKeyGenerator(2048).generate().toPublicJWK();
    List<JWK> keys = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      keys.add(one); // ten keys without an id (the same one: what is counted is the tries)
    }
    assertThat(select(keys, new JWSHeader(JWSAlgorithm.RS256))).hasSize(OidcAuthenticator.MAX_KEYS_TRIED);
    // Ten keys that share one id count the same.
    List<JWK> sameId = new ArrayList<>();
    for (JWK k : keys) {
      sameId.add(new RSAKey.Builder(k.toRSAKey()).keyID("k").build());
    }
    assertThat(select(sameId, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k").build())).hasSize(OidcAuthenticator.MAX_KEYS_TRIED);
  }

  @Test
  void keysTooCostlyToUseOrNotForVerifyingAreLeftOut() throws Exception {
    RSAKey good = new RSAKeyGenerator(2048).keyID("good").generate().toPublicJWK();
    // A public exponent of 3,000 bits: each try would be a private-key-sized operation.
    BigInteger hugeExponent = BigInteger.ONE.shiftLeft(3000).add(BigInteger.ONE);
    RSAKey costly = new RSAKey.Builder(Base64URL.encode(good.getModulus().decodeToBigInteger()), Base64URL.encode(hugeExponent))
        .keyID("costly").build();
    RSAKey encryptOnly = new RSAKey.Builder(good).keyID("enc").keyOperations(Set.of(KeyOperation.ENCRYPT)).build();
    RSAKey verifyOps = new RSAKey.Builder(good).keyID("ver").keyOperations(Set.of(KeyOperation.VERIFY)).build();
    // A 5,000-bit modulus (its size is what is checked, not whether it is a product of two primes).
    RSAKey big = new RSAKey.Builder(Base64URL.encode(BigInteger.ONE.shiftLeft(4999).add(BigInteger.valueOf(12345))), good.getPublicExponent())
        .keyID("big").build();
    List<JWK> set = List.of(good, costly, encryptOnly, verifyOps, big);

    assertThat(select(set, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("costly").build())).isEmpty();
    assertThat(select(set, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("enc").build())).isEmpty();
    assertThat(select(set, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("ver").build())).hasSize(1);
    assertThat(select(set, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("good").build())).hasSize(1);
    assertThat(select(set, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("big").build())).as("over 4096 bits").isEmpty();
  }

  @Test
  void aKeyTheLibraryCannotReadIsLeftOutAndTheRestOfTheSetServes() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa").generate().toPublicJWK();
    String jwks = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"AQ\",\"y\":\"AQ\",\"kid\":\"old\"}," + rsa.toJSONString() + "]}";
    String usable = OidcAuthenticator.usableKeys(jwks);
    assertThat(JWKSet.parse(usable).getKeys()).extracting(JWK::getKeyID).containsExactly("rsa");
    // A set that is all readable, or not a set at all, is left as it is.
    String whole = "{\"keys\":[" + rsa.toJSONString() + "]}";
    assertThat(OidcAuthenticator.usableKeys(whole)).isSameAs(whole);
    assertThat(OidcAuthenticator.usableKeys("not json")).isEqualTo("not json");
  }

  @Test
  void aJwksServerThatDripsItsAnswerIsCutOffAtTheDeadline() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/drip", ex -> {
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        for (int i = 0; i < 40; i++) {
          out.write(' ');
          out.flush();
          Thread.sleep(250);
        }
        out.write("{\"keys\":[]}".getBytes(StandardCharsets.UTF_8));
      } catch (Exception gone) {
        // the client hung up: what the test wants
      }
    });
    server.start();
    try {
      OidcAuthenticator.JwksRetriever retriever = new OidcAuthenticator.JwksRetriever(false, Duration.ofMillis(1_000));
      long start = System.nanoTime();
      Throwable failure = catchThrowable(() -> retriever.retrieveResource(new URL("http://127.0.0.1:" + server.getAddress().getPort() + "/drip")));
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertThat(failure).hasMessageContaining("took longer than 1000 ms");
      assertThat(tookMs).as("cut off near the deadline, not after the 10 s the server drips for").isLessThan(5_000);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void scopesAreReadFromScopeAndScpAsAStringOrAnArray() throws Exception {
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .claim("scope", List.of("tools:a.*", "models:m"))
        .claim("scp", "workflows:w  tools:b")
        .build();
    assertThat(OidcAuthenticator.scopes(claims)).containsExactly("tools:a.*", "models:m", "workflows:w", "tools:b");
    assertThat(OidcAuthenticator.scopes(new JWTClaimsSet.Builder().claim("scope", "tools:x").claim("scp", List.of("models:y")).build()))
        .containsExactly("tools:x", "models:y");
    for (Object odd : List.of(Map.of("a", 1), 7, List.of("tools:x", 1))) {
      assertThat(catchThrowable(() -> OidcAuthenticator.scopes(new JWTClaimsSet.Builder().claim("scope", odd).build())))
          .as(String.valueOf(odd)).isInstanceOf(AuthenticationException.class).hasMessageContaining("'scope' claim");
    }
  }
}
