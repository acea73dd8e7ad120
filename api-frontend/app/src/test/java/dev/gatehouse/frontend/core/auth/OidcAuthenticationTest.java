package dev.gatehouse.frontend.core.auth;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** OIDC bearer tokens against a JWKS served on loopback, with real RSA and EC keys. */
class OidcAuthenticationTest {
  static TestGatehouse gh;
  static HttpServer jwks;
  static final List<JWK> published = new CopyOnWriteArrayList<>();
  static final List<JWK> rotating = new CopyOnWriteArrayList<>();
  static final List<JWK> revoking = new CopyOnWriteArrayList<>();
  static final AtomicInteger fetches = new AtomicInteger();
  static String rotatingIssuer;
  static RSAKey rsa;
  static ECKey ec;
  static String issuer;
  static String tenant;
  static final String AUDIENCE = "gatehouse-test";

  @BeforeAll
  static void start() throws Exception {
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    published.add(rsa.toPublicJWK());
    published.add(ec.toPublicJWK());
    jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwks.createContext("/jwks", ex -> {
      fetches.incrementAndGet();
      byte[] body = new JWKSet(List.copyOf(published)).toString(true).getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    // A second provider of its own for the rotation test, so that the other tests' refetches
    // (an unknown kid) cannot use up its refetch allowance.
    jwks.createContext("/rotating-jwks", ex -> {
      fetches.incrementAndGet();
      byte[] body = new JWKSet(List.copyOf(rotating)).toString(true).getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    // A third provider's, from which a key is removed.
    jwks.createContext("/revoking-jwks", ex -> {
      byte[] body = new JWKSet(List.copyOf(revoking)).toString(true).getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    // A key set that cannot be had.
    jwks.createContext("/failing-jwks", ex -> {
      ex.sendResponseHeaders(500, -1);
      ex.close();
    });
    jwks.start();
    String base = "http://127.0.0.1:" + jwks.getAddress().getPort();
    issuer = base + "/issuer";
    rotatingIssuer = base + "/rotating-issuer";
    rotating.add(rsa.toPublicJWK());
    // (this class presents many bad tokens from one address; none should meet the failure throttle)
    gh = TestGatehouse.start(c -> c.getAuth().setMaxFailures(1_000));
    tenant = json(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"oidc-tenant\"}")).get("id").asText();
    HttpResponse<String> idp =
        gh.post("/admin/v1/identity-providers", ADMIN_KEY,
            "{\"tenant\":\"" + tenant + "\",\"name\":\"corp\",\"issuer\":\"" + issuer + "\",\"audience\":\"" + AUDIENCE
                + "\",\"jwksUrl\":\"" + base + "/jwks\",\"clockSkewSeconds\":30}");
    assertThat(idp.statusCode()).as(idp.body()).isEqualTo(201);
    HttpResponse<String> agent =
        gh.post("/admin/v1/agents", ADMIN_KEY,
            "{\"tenant\":\"" + tenant + "\",\"name\":\"svc\",\"subject\":\"svc-1\",\"tools\":{\"allow\":[\"t.*\"]},\"workflows\":{\"allow\":[\"pipeline\"]}}");
    assertThat(agent.statusCode()).as(agent.body()).isEqualTo(201);
    HttpResponse<String> idp2 =
        gh.post("/admin/v1/identity-providers", ADMIN_KEY,
            "{\"tenant\":\"" + tenant + "\",\"name\":\"rotating\",\"issuer\":\"" + rotatingIssuer + "\",\"audience\":\"" + AUDIENCE
                + "\",\"jwksUrl\":\"" + base + "/rotating-jwks\"}");
    assertThat(idp2.statusCode()).as(idp2.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    gh.close();
    jwks.stop(0);
  }

  private static JWTClaimsSet.Builder claims() {
    long now = System.currentTimeMillis();
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .audience(AUDIENCE)
        .subject("svc-1")
        .issueTime(new Date(now))
        .expirationTime(new Date(now + 300_000));
  }

  private static String rsaToken(JWTClaimsSet claims) throws Exception {
    return sign(rsa, JWSAlgorithm.RS256, claims);
  }

  private static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key));
    return jwt.serialize();
  }

  private static void assertRejected(String token, String why) {
    HttpResponse<String> r = gh.get("/v1/tasks", token);
    assertThat(r.statusCode()).as(why + ": " + r.body()).isEqualTo(401);
    assertThat(json(r).get("error").get("code").asText()).isEqualTo("unauthorized");
    assertThat(r.body()).doesNotContain(token);
  }

  @Test
  void validRsaAndEcTokensAuthenticateTheMappedAgent() throws Exception {
    assertThat(gh.get("/v1/tasks", rsaToken(claims().build())).statusCode()).isEqualTo(200);
    assertThat(gh.get("/v1/tasks", sign(ec, JWSAlgorithm.ES256, claims().build())).statusCode()).isEqualTo(200);
    String id = gh.submit(rsaToken(claims().build()),
        "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"w\",\"tool\":\"t.weather\",\"args\":{\"city\":\"Token\"}}]}}");
    assertThat(gh.await(rsaToken(claims().build()), id).get("status").asText()).isEqualTo("COMPLETED");
  }

  @Test
  void badTokensAreRejected() throws Exception {
    long now = System.currentTimeMillis();
    assertRejected(rsaToken(claims().expirationTime(new Date(now - 120_000)).build()), "expired");
    assertRejected(rsaToken(claims().notBeforeTime(new Date(now + 120_000)).build()), "not yet valid");
    assertRejected(rsaToken(claims().issuer("https://evil.example/issuer").build()), "wrong issuer");
    assertRejected(rsaToken(claims().audience("someone-else").build()), "wrong audience");
    assertRejected(rsaToken(claims().subject("nobody").build()), "no agent for the subject");
    RSAKey impostor = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    assertRejected(sign(impostor, JWSAlgorithm.RS256, claims().build()), "bad signature");
    assertRejected(new PlainJWT(claims().build()).serialize(), "alg none");
    SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(), claims().build());
    hmac.sign(new MACSigner("a-shared-secret-of-at-least-256-bits-length!!"));
    assertRejected(hmac.serialize(), "HMAC");
    RSAKey unknown = new RSAKeyGenerator(2048).keyID("never-published").generate();
    assertRejected(sign(unknown, JWSAlgorithm.RS256, claims().build()), "unknown kid");
    assertRejected("a.b.c", "garbage");
  }

  @Test
  void aKeyAddedByRotationIsFetchedWhenATokenNamesIt() throws Exception {
    assertThat(gh.get("/v1/tasks", rsaToken(claims().issuer(rotatingIssuer).build())).statusCode()).isEqualTo(200);
    RSAKey rotated = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
    rotating.add(rotated.toPublicJWK());
    int before = fetches.get();
    HttpResponse<String> r = gh.get("/v1/tasks", sign(rotated, JWSAlgorithm.RS256, claims().issuer(rotatingIssuer).build()));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(fetches.get()).isGreaterThan(before);
  }

  /**
   * A key removed from a provider's set (a compromised one) is refused once an admin writes the
   * provider again, even unchanged, rather than for the rest of the set's 15 minutes in the cache
   * (a probe found only a changed {@code jwksUrl} made Gatehouse fetch the set again).
   */
  @Test
  void aKeyRemovedFromTheSetIsRefusedOnceTheProviderIsWrittenAgain() throws Exception {
    RSAKey leaked = new RSAKeyGenerator(2048).keyID("rsa-leaked").generate();
    revoking.add(leaked.toPublicJWK());
    String base = "http://127.0.0.1:" + jwks.getAddress().getPort();
    String body =
        "{\"tenant\":\"" + tenant + "\",\"name\":\"revoking\",\"issuer\":\"" + base + "/revoking-issuer\",\"audience\":\"" + AUDIENCE
            + "\",\"jwksUrl\":\"" + base + "/revoking-jwks\"}";
    HttpResponse<String> created = gh.post("/admin/v1/identity-providers", ADMIN_KEY, body);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String token = sign(leaked, JWSAlgorithm.RS256, claims().issuer(base + "/revoking-issuer").build());
    assertThat(gh.get("/v1/tasks", token).statusCode()).isEqualTo(200);

    revoking.clear();
    assertThat(gh.get("/v1/tasks", token).statusCode()).as("the set is cached").isEqualTo(200);
    HttpResponse<String> rewritten = gh.put("/admin/v1/identity-providers/" + json(created).get("id").asText(), ADMIN_KEY, body);
    assertThat(rewritten.statusCode()).as(rewritten.body()).isEqualTo(200);
    assertRejected(token, "a key no longer in the set");
  }

  /**
   * Anyone may present a token naming a tenant's issuer: when the provider's keys cannot be
   * fetched, the 401 says so and nothing of why (the JWKS host, what it resolves to, the HTTP
   * status); that is for the log.
   */
  @Test
  void aKeySetThatCannotBeFetchedIsAGeneric401() throws Exception {
    String base = "http://127.0.0.1:" + jwks.getAddress().getPort();
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    var idps = gh.db.jdbi().onDemand(dev.gatehouse.registry.idp.IdentityProviderDao.class);
    Map<String, String> jwksUrls = new java.util.LinkedHashMap<>();
    jwksUrls.put("failing", base + "/failing-jwks");
    jwksUrls.put("unreachable", "http://127.0.0.1:" + closedPort + "/jwks");
    // A tenant admin's provider whose JWKS host is loopback (as after its DNS name was re-pointed): refused by the egress guard.
    jwksUrls.put("guarded", base + "/jwks");
    for (Map.Entry<String, String> e : jwksUrls.entrySet()) {
      String name = e.getKey();
      String unusableIssuer = "https://" + name + ".idp.example/issuer";
      idps.upsert(
          new dev.gatehouse.registry.idp.IdentityProvider(
                  dev.gatehouse.registry.Ids.newId("idp"), tenant, "unusable-" + name, unusableIssuer, AUDIENCE, e.getValue(),
                  null, null, 30)
              .withEgressGuarded(name.equals("guarded")));
      // Twice: the first fetch fails, the second is within the refetch interval.
      for (int attempt = 0; attempt < 2; attempt++) {
        String token = rsaToken(claims().issuer(unusableIssuer).build());
        HttpResponse<String> r = gh.get("/v1/tasks", token);
        assertThat(r.statusCode()).as(name + ": " + r.body()).isEqualTo(401);
        assertThat(json(r).get("error").get("code").asText()).isEqualTo("unauthorized");
        assertThat(json(r).get("error").get("message").asText())
            .as(name)
            .isEqualTo("the token could not be verified: the identity provider's keys could not be fetched");
        assertThat(r.body())
            .as(name)
            .doesNotContain("127.0.0.1")
            .doesNotContain(String.valueOf(jwks.getAddress().getPort()))
            .doesNotContain(String.valueOf(closedPort))
            .doesNotContain("HTTP")
            .doesNotContain("jwks")
            .doesNotContain("JWK set")
            .doesNotContain("resolves")
            .doesNotContain(token);
      }
    }
    // A provider whose keys can be fetched is unaffected.
    assertThat(gh.get("/v1/tasks", rsaToken(claims().build())).statusCode()).isEqualTo(200);
  }

  @Test
  void scopesNarrowWhatTheTokenMayDo() throws Exception {
    String narrow = rsaToken(claims().claim("scope", "openid tools:t.weather").build());
    HttpResponse<String> denied =
        gh.post("/v1/tasks", narrow, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\",\"args\":{\"a\":1,\"b\":2}}]}}");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(json(denied).get("error").get("code").asText()).isEqualTo("tool_not_allowed");
    assertThat(json(denied).get("error").get("message").asText()).contains("scopes");
    HttpResponse<String> allowed =
        gh.post("/v1/tasks", narrow, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"w\",\"tool\":\"t.weather\",\"args\":{\"city\":\"Scoped\"}}]}}");
    assertThat(allowed.statusCode()).isEqualTo(202);
  }
}
