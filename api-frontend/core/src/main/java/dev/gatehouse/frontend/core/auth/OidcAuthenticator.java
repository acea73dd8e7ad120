package dev.gatehouse.frontend.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import dev.gatehouse.activities.http.Egress;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.Texts;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OIDC bearer tokens, verified with Nimbus: the token's issuer selects the tenant's identity
 * provider; the signature must come from a key of the provider's JWKS (fetched, cached, and
 * refetched — at most every 30 s — when a token names a key it does not know) with one of the
 * provider's asymmetric algorithms; issuer, audience, expiry and not-before are checked with the
 * provider's clock skew; the provider's agent claim names the agent.
 */
final class OidcAuthenticator {
  /** Never accepted, whatever a provider's configuration says. */
  static final Set<String> REJECTED = Set.of("none", "HS256", "HS384", "HS512");

  private static final Logger LOG = LoggerFactory.getLogger(OidcAuthenticator.class);

  /** How long a provider's signing keys are kept when nothing says otherwise. */
  static final Duration DEFAULT_JWKS_TTL = Duration.ofMinutes(15);
  private static final Duration JWKS_REFRESH_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration JWKS_MIN_REFETCH = Duration.ofSeconds(30);

  private record Verifier(IdentityProvider idp, DefaultJWTProcessor<SecurityContext> processor) {}

  private final IdentityProviderDao providers;
  private final AgentDao agents;
  private final Map<String, Verifier> verifiers = new ConcurrentHashMap<>();

  private final Duration jwksTtl;

  OidcAuthenticator(Jdbi jdbi, Duration jwksTtl) {
    this.jwksTtl = jwksTtl;
    this.providers = jdbi.onDemand(IdentityProviderDao.class);
    this.agents = jdbi.onDemand(AgentDao.class);
  }

  static boolean looksLikeJwt(String token) {
    return token.chars().filter(c -> c == '.').count() == 2;
  }

  Caller authenticate(String token) throws AuthenticationException {
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      throw new AuthenticationException("the bearer token is not a valid JWT");
    }
    if (jwt instanceof PlainJWT || !(jwt instanceof SignedJWT signed)) {
      throw new AuthenticationException("unsigned tokens (alg: none) are not accepted");
    }
    if (REJECTED.contains(signed.getHeader().getAlgorithm().getName())) {
      throw new AuthenticationException("tokens signed with " + signed.getHeader().getAlgorithm() + " are not accepted");
    }
    String issuer;
    try {
      issuer = signed.getJWTClaimsSet().getIssuer();
    } catch (ParseException e) {
      throw new AuthenticationException("the token's claims are not valid JSON");
    }
    // The claims are not verified yet: an issuer no provider could have (a NUL character, a lone
    // surrogate) is refused before it is looked up.
    IdentityProvider idp =
        issuer == null || Texts.problem(issuer) != null ? null : providers.findByIssuer(issuer).orElse(null);
    if (idp == null) {
      throw new AuthenticationException("no identity provider is registered for the token's issuer");
    }
    Verifier verifier = verifierFor(idp);
    JWTClaimsSet claims;
    try {
      claims = verifier.processor().process(signed, null);
    } catch (BadJWTException e) {
      throw new AuthenticationException("the token was rejected: " + e.getMessage());
    } catch (BadJOSEException e) {
      throw new AuthenticationException("the token's signature could not be verified with the provider's keys");
    } catch (JOSEException e) {
      if (causedBy(e, KeySourceException.class)) {
        // Anyone may present a token naming this issuer: the fetch's detail (the JWKS host, what
        // it resolves to, its HTTP status) is for the operator's log, not for the caller.
        if (causedBy(e, RateLimitReachedException.class)) {
          LOG.debug("identity provider {}: its JWKS was not refetched (refetched too recently)", idp.id());
        } else {
          LOG.warn("identity provider {} (tenant {}): its JWKS could not be fetched: {}", idp.id(), idp.tenantId(), detail(e));
        }
        throw new AuthenticationException("the token could not be verified: the identity provider's keys could not be fetched");
      }
      throw new AuthenticationException("the token could not be verified: " + e.getMessage());
    }
    String subject;
    try {
      subject = claims.getStringClaim(idp.agentClaim());
    } catch (ParseException e) {
      subject = null;
    }
    if (subject == null || subject.isBlank()) {
      throw new AuthenticationException("the token has no '" + idp.agentClaim() + "' claim");
    }
    if (Texts.problem(subject) != null) {
      throw new AuthenticationException("no agent of this tenant has the token's " + idp.agentClaim());
    }
    Agent agent =
        agents
            .findBySubject(idp.tenantId(), subject)
            .orElseThrow(() -> new AuthenticationException("no agent of this tenant has the token's " + idp.agentClaim()));
    return new Caller.AgentCaller(
        agent, scopes(claims), "oidc:" + idp.id(),
        claims.getExpirationTime() == null ? null : claims.getExpirationTime().toInstant());
  }

  private Verifier verifierFor(IdentityProvider idp) throws AuthenticationException {
    Verifier cached = verifiers.get(idp.id());
    if (cached != null && cached.idp().equals(idp)) {
      return cached;
    }
    Verifier fresh = build(idp);
    verifiers.put(idp.id(), fresh);
    return fresh;
  }

  private Verifier build(IdentityProvider idp) throws AuthenticationException {
    JWKSource<SecurityContext> keys;
    try {
      keys =
          JWKSourceBuilder.create(
                  URI.create(idp.jwksUrl()).toURL(),
                  idp.egressGuarded()
                      ? new GuardedResourceRetriever(2_000, 2_000, 512 * 1024)
                      : new DefaultResourceRetriever(2_000, 2_000, 512 * 1024))
              .cache(jwksTtl.toMillis(), JWKS_REFRESH_TIMEOUT.toMillis())
              .rateLimited(JWKS_MIN_REFETCH.toMillis())
              .retrying(false)
              .build();
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new AuthenticationException("the identity provider's JWKS URL is not usable");
    }
    Set<JWSAlgorithm> algorithms = new HashSet<>();
    for (String a : idp.algorithms()) {
      if (!REJECTED.contains(a)) {
        algorithms.add(JWSAlgorithm.parse(a));
      }
    }
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    DefaultJWTClaimsVerifier<SecurityContext> claims =
        new DefaultJWTClaimsVerifier<>(
            idp.audience(),
            new JWTClaimsSet.Builder().issuer(idp.issuer()).build(),
            Set.of("exp", idp.agentClaim()));
    claims.setMaxClockSkew(idp.clockSkewSeconds());
    processor.setJWTClaimsSetVerifier(claims);
    return new Verifier(idp, processor);
  }

  /**
   * The JWKS retriever of an identity provider a tenant admin wrote: the JWKS URL's host is checked
   * ({@link Egress#check}) just before each fetch, and no redirect is followed (its target would
   * not be). {@code HttpURLConnection} resolves the name right after the check, from the JVM's DNS
   * cache ({@code networkaddress.cache.ttl}, 30 s by default), which is what makes both see the
   * same addresses.
   */
  static final class GuardedResourceRetriever extends DefaultResourceRetriever {
    GuardedResourceRetriever(int connectTimeout, int readTimeout, int sizeLimit) {
      super(connectTimeout, readTimeout, sizeLimit);
    }

    @Override
    protected java.net.HttpURLConnection openHTTPConnection(java.net.URL url) throws java.io.IOException {
      try {
        Egress.check(url.toURI());
      } catch (java.net.URISyntaxException e) {
        throw new java.io.IOException("the JWKS URL is not usable");
      }
      java.net.HttpURLConnection connection = super.openHTTPConnection(url);
      connection.setInstanceFollowRedirects(false);
      return connection;
    }
  }

  /** True when {@code e} or one of its causes is a {@code type} (a key set that could not be had, for one). */
  static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    int depth = 0;
    for (Throwable t = e; t != null && depth < 10; t = t.getCause() == t ? null : t.getCause(), depth++) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** The messages of {@code e} and its causes, for the log (one line, no stack trace). */
  private static String detail(Throwable e) {
    StringBuilder out = new StringBuilder();
    int depth = 0;
    for (Throwable t = e; t != null && depth < 5; t = t.getCause() == t ? null : t.getCause(), depth++) {
      String message = t.getMessage();
      if (message == null || out.indexOf(message) >= 0) {
        continue;
      }
      out.append(out.length() == 0 ? "" : "; ").append(message);
    }
    return out.length() == 0 ? e.getClass().getSimpleName() : out.toString();
  }

  private static List<String> scopes(JWTClaimsSet claims) {
    List<String> out = new ArrayList<>();
    Object scope = claims.getClaim("scope");
    if (scope instanceof String s) {
      for (String part : s.trim().split("\\s+")) {
        if (!part.isEmpty()) {
          out.add(part);
        }
      }
    }
    Object scp = claims.getClaim("scp");
    if (scp instanceof List<?> list) {
      list.forEach(x -> out.add(String.valueOf(x)));
    }
    return out;
  }
}
