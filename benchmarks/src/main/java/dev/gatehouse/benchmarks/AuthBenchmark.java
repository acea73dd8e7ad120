package dev.gatehouse.benchmarks;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.frontend.core.auth.Authenticator;
import dev.gatehouse.frontend.core.auth.Caller;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import dev.gatehouse.registry.keys.ApiKeyDao;
import dev.gatehouse.registry.keys.ApiKeys;
import dev.gatehouse.registry.tenants.TenantDao;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of authenticating one request: an agent API key and an OIDC JWT (RS256, ES256), each
 * with a warm cache (what a busy agent pays per request: one SHA-256 and a map lookup) and with
 * no cache (a key's first use or a new token: PostgreSQL lookups, a constant-time compare, a
 * signature check). Needs the PostgreSQL at 127.0.0.1:5432 (or GATEHOUSE_BENCH_PG_URL, user
 * GATEHOUSE_BENCH_PG_USER); it creates and drops its own database.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AuthBenchmark {

  private BenchDatabase db;
  private HttpServer jwks;
  private Authenticator cached;
  private Authenticator uncached;
  private String apiKey;
  private String rsaToken;
  private String ecToken;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    db = BenchDatabase.create();
    Jdbi jdbi = db.jdbi();

    RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa").generate();
    ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("ec").generate();
    byte[] set = new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString(true).getBytes(StandardCharsets.UTF_8);
    jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwks.createContext("/jwks", ex -> {
      ex.sendResponseHeaders(200, set.length);
      ex.getResponseBody().write(set);
      ex.close();
    });
    jwks.start();
    String issuer = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/issuer";

    String tenant = Ids.newId("ten");
    jdbi.onDemand(TenantDao.class).insert(tenant, "bench");
    Agent agent = new Agent(Ids.newId("agt"), tenant, "bench-agent", "svc-bench", Permissions.ALL, null, null);
    jdbi.onDemand(AgentDao.class).insert(agent);
    ApiKeys.Issued key = ApiKeys.issue(ApiKeys.AGENT_KIND);
    jdbi.onDemand(ApiKeyDao.class).insertAgentKey(key.id(), agent.id(), key.prefix(), key.hash(), null);
    apiKey = key.key();
    jdbi.onDemand(IdentityProviderDao.class)
        .upsert(new IdentityProvider(Ids.newId("idp"), tenant, "corp", issuer, "gatehouse",
            "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks", null, "sub", 60));

    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).audience("gatehouse").subject("svc-bench")
        .expirationTime(new Date(System.currentTimeMillis() + 3_600_000)).build();
    SignedJWT r = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa").type(JOSEObjectType.JWT).build(), claims);
    r.sign(new RSASSASigner(rsa));
    rsaToken = r.serialize();
    SignedJWT e = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec").type(JOSEObjectType.JWT).build(), claims);
    e.sign(new ECDSASigner(ec));
    ecToken = e.serialize();

    cached = new Authenticator(jdbi, Duration.ofSeconds(5));
    uncached = new Authenticator(jdbi, Duration.ZERO);
    // Warm up the JWKS cache and the verifiers.
    uncached.authenticate(rsaToken);
    uncached.authenticate(ecToken);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    jwks.stop(0);
    db.close();
  }

  @Benchmark
  public Caller apiKeyCached() throws Exception {
    return cached.authenticate(apiKey);
  }

  @Benchmark
  public Caller apiKeyUncached() throws Exception {
    return uncached.authenticate(apiKey);
  }

  @Benchmark
  public Caller jwtCached() throws Exception {
    return cached.authenticate(rsaToken);
  }

  @Benchmark
  public Caller jwtRs256Uncached() throws Exception {
    return uncached.authenticate(rsaToken);
  }

  @Benchmark
  public Caller jwtEs256Uncached() throws Exception {
    return uncached.authenticate(ecToken);
  }
}
