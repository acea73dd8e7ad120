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
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** How long a provider's signing keys are kept when nothing says otherwise. */
  static final Duration DEFAULT_JWKS_TTL = Duration.ofMinutes(15);
  private static final Duration JWKS_REFRESH_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration JWKS_MIN_REFETCH = Duration.ofSeconds(30);
  /** The most a JWKS fetch may take in all (each read may wait 2 s, but a server that drips bytes would go on). */
  static final Duration JWKS_FETCH_DEADLINE = Duration.ofSeconds(5);
  static final int JWKS_MAX_BYTES = 512 * 1024;
  /**
   * The most keys one token's signature is tried with (a token without a {@code kid}, or a set
   * whose keys share one): each try is a public-key operation, paid before the token is known good.
   */
  static final int MAX_KEYS_TRIED = 4;
  /** RSA keys larger than this, or with a public exponent over 256 bits (NIST's bound), are not used. */
  static final int MAX_RSA_BITS = 4096;
  static final int MAX_RSA_EXPONENT_BITS = 256;
  /** Token types accepted besides none: a JWT, and an OAuth 2.0 access token (RFC 9068). */
  private static final com.nimbusds.jose.proc.JOSEObjectTypeVerifier<SecurityContext> TYPES =
      new com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier<>(
          com.nimbusds.jose.JOSEObjectType.JWT, new com.nimbusds.jose.JOSEObjectType("at+jwt"),
          new com.nimbusds.jose.JOSEObjectType("application/at+jwt"), null);

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
          throw new AuthenticationException(
              "the token's signature could not be verified with the provider's keys (none matches its key id; they were fetched again too recently to look once more)");
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

  /** How many providers' verifiers (each with its cached keys) are kept. */
  int verifiersKept() {
    return verifiers.size();
  }

  /**
   * Drops provider {@code id}'s verifier and its cached keys: its next token fetches the key set
   * again (a key removed from it, say after a compromise, is refused from then on).
   */
  void forgetKeys(String id) {
    verifiers.remove(id);
  }

  /** Drops the verifiers (and their cached keys) of providers that no longer exist. */
  void forgetRemoved() {
    if (!verifiers.isEmpty()) {
      verifiers.keySet().retainAll(providers.ids());
    }
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
                  new JwksRetriever(idp.egressGuarded()))
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
    processor.setJWSKeySelector(new BoundedKeySelector(algorithms, keys));
    processor.setJWSTypeVerifier(TYPES);
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
   * Fetches a provider's JWKS: 2 s to connect and per read, {@link #JWKS_FETCH_DEADLINE} in all
   * and {@link #JWKS_MAX_BYTES} at most; keys the JOSE library cannot read (a curve it does not
   * know, say) are left out rather than failing the whole set. For a provider a tenant admin wrote
   * ({@code guarded}) the URL's host is checked ({@link Egress#check}) just before each fetch, and
   * no redirect is followed (its target would not be checked). {@code HttpURLConnection} resolves
   * the name right after the check, from the JVM's DNS cache ({@code networkaddress.cache.ttl},
   * 30 s by default), which is what makes both see the same addresses.
   */
  static final class JwksRetriever extends DefaultResourceRetriever {
    private static final java.util.concurrent.ScheduledExecutorService DEADLINES =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "jwks-fetch-deadline");
          t.setDaemon(true);
          return t;
        });
    private final boolean guarded;
    private final Duration deadline;

    JwksRetriever(boolean guarded) {
      this(guarded, JWKS_FETCH_DEADLINE);
    }

    JwksRetriever(boolean guarded, Duration deadline) {
      super(2_000, 2_000, JWKS_MAX_BYTES);
      this.guarded = guarded;
      this.deadline = deadline;
    }

    @Override
    protected java.net.HttpURLConnection openHTTPConnection(java.net.URL url) throws java.io.IOException {
      if (guarded) {
        try {
          Egress.check(url.toURI());
        } catch (java.net.URISyntaxException e) {
          throw new java.io.IOException("the JWKS URL is not usable");
        }
      }
      java.net.HttpURLConnection connection = super.openHTTPConnection(url);
      if (guarded) {
        connection.setInstanceFollowRedirects(false);
      }
      return connection;
    }

    @Override
    public com.nimbusds.jose.util.Resource retrieveResource(java.net.URL url) throws java.io.IOException {
      long until = System.nanoTime() + deadline.toNanos();
      java.net.HttpURLConnection connection = openHTTPConnection(url);
      // A server that drips its status line or headers is cut off too: the timer closes the connection.
      java.util.concurrent.ScheduledFuture<?> cut =
          DEADLINES.schedule(connection::disconnect, deadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      try {
        connection.setConnectTimeout(getConnectTimeout());
        connection.setReadTimeout(getReadTimeout());
        int status = connection.getResponseCode();
        if (status < 200 || status > 299) {
          throw new java.io.IOException("HTTP " + status + ": " + connection.getResponseMessage());
        }
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (java.io.InputStream in = connection.getInputStream()) {
          for (int n; (n = in.read(buffer)) >= 0; ) {
            body.write(buffer, 0, n);
            if (body.size() > getSizeLimit()) {
              throw new java.io.IOException("the JWKS is larger than " + getSizeLimit() + " bytes");
            }
            if (System.nanoTime() > until) {
              throw new java.io.IOException("the JWKS took longer than " + deadline.toMillis() + " ms to arrive");
            }
          }
        }
        return new com.nimbusds.jose.util.Resource(
            usableKeys(body.toString(java.nio.charset.StandardCharsets.UTF_8)), connection.getContentType());
      } catch (java.io.IOException e) {
        if (cut.isDone()) {
          throw new java.io.IOException("the JWKS took longer than " + deadline.toMillis() + " ms to arrive", e);
        }
        throw e;
      } finally {
        cut.cancel(false);
        connection.disconnect();
      }
    }
  }

  /**
   * {@code jwks} without the keys the JOSE library cannot read; as it is when it is not a JSON
   * object with a {@code keys} array (the library then says what is wrong with it).
   */
  static String usableKeys(String jwks) {
    com.fasterxml.jackson.databind.JsonNode root;
    try {
      root = JSON.readTree(jwks);
    } catch (java.io.IOException e) {
      return jwks;
    }
    if (!(root instanceof com.fasterxml.jackson.databind.node.ObjectNode set)
        || !(set.get("keys") instanceof com.fasterxml.jackson.databind.node.ArrayNode keys)) {
      return jwks;
    }
    com.fasterxml.jackson.databind.node.ArrayNode usable = set.putArray("keys");
    for (com.fasterxml.jackson.databind.JsonNode key : keys) {
      try {
        com.nimbusds.jose.jwk.JWK.parse(key.toString());
        usable.add(key);
      } catch (ParseException | RuntimeException unreadable) {
        // left out: a key Gatehouse cannot use cannot have signed a token it accepts
      }
    }
    return usable.size() == keys.size() ? jwks : set.toString();
  }

  /**
   * The keys one token's signature is tried with: those of the provider's JWKS that match its
   * header (algorithm, key id, a signing use) as Nimbus picks them, less keys whose {@code key_ops}
   * do not allow {@code verify} and RSA keys too costly to use, and at most {@link
   * #MAX_KEYS_TRIED} of them.
   */
  static final class BoundedKeySelector extends JWSVerificationKeySelector<SecurityContext> {
    BoundedKeySelector(Set<JWSAlgorithm> algorithms, JWKSource<SecurityContext> keys) {
      super(algorithms, keys);
    }

    @Override
    public List<java.security.Key> selectJWSKeys(com.nimbusds.jose.JWSHeader header, SecurityContext context)
        throws KeySourceException {
      if (!isAllowed(header.getAlgorithm())) {
        return List.of();
      }
      com.nimbusds.jose.jwk.JWKMatcher matcher = createJWKMatcher(header);
      if (matcher == null) {
        return List.of();
      }
      List<java.security.Key> out = new ArrayList<>();
      for (com.nimbusds.jose.jwk.JWK jwk : getJWKSource().get(new com.nimbusds.jose.jwk.JWKSelector(matcher), context)) {
        if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(com.nimbusds.jose.jwk.KeyOperation.VERIFY)) {
          continue;
        }
        for (java.security.Key key : com.nimbusds.jose.jwk.KeyConverter.toJavaKeys(List.of(jwk))) {
          if (key instanceof java.security.PublicKey && usable(key) && out.size() < MAX_KEYS_TRIED) {
            out.add(key);
          }
        }
      }
      return out;
    }

    static boolean usable(java.security.Key key) {
      return !(key instanceof java.security.interfaces.RSAPublicKey rsa)
          || (rsa.getModulus().bitLength() <= MAX_RSA_BITS && rsa.getPublicExponent().bitLength() <= MAX_RSA_EXPONENT_BITS);
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

  /**
   * The token's scopes: its {@code scope} and {@code scp} claims, each a space-separated string or
   * an array of strings (providers write either; Azure AD's {@code scp} is a string). A claim in
   * another form refuses the token: read as no scope, it would widen what the provider narrowed.
   */
  static List<String> scopes(JWTClaimsSet claims) throws AuthenticationException {
    List<String> out = new ArrayList<>();
    for (String name : List.of("scope", "scp")) {
      Object claim = claims.getClaim(name);
      if (claim instanceof String s) {
        split(s, out);
      } else if (claim instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
        list.forEach(x -> split((String) x, out));
      } else if (claim != null) {
        throw new AuthenticationException("the token's '" + name + "' claim is neither a string nor an array of strings");
      }
    }
    return out;
  }

  private static void split(String scopes, List<String> out) {
    for (String part : scopes.trim().split("\\s+")) {
      if (!part.isEmpty()) {
        out.add(part);
      }
    }
  }
}
