package dev.gatehouse.registry.idp;

import java.net.URI;
import java.util.List;
import java.util.Set;

/** Checks an identity provider wherever it comes from (admin API, registry file). */
public final class IdentityProviders {
  private static final Set<String> CLAIMS = Set.of("sub", "client_id");
  /** The longest issuer and JWKS URL. */
  static final int MAX_URL = 2048;

  private IdentityProviders() {}

  /** A checked provider with defaults filled in; throws {@link IllegalArgumentException} naming the field. */
  public static IdentityProvider check(
      String id, String tenantId, String name, String issuer, String audience, String jwksUrl, List<String> algorithms,
      String agentClaim, Integer clockSkewSeconds) {
    url(issuer, "issuer");
    url(jwksUrl, "jwksUrl");
    if (audience == null || audience.isBlank() || audience.length() > 512) {
      throw new IllegalArgumentException("'audience' is required (at most 512 characters)");
    }
    List<String> algs = algorithms == null || algorithms.isEmpty() ? IdentityProvider.DEFAULT_ALGORITHMS : algorithms;
    if (algs.size() > IdentityProvider.DEFAULT_ALGORITHMS.size()) {
      throw new IllegalArgumentException("'algorithms' lists at most " + IdentityProvider.DEFAULT_ALGORITHMS.size() + " algorithms");
    }
    for (String a : algs) {
      if (a == null || !IdentityProvider.DEFAULT_ALGORITHMS.contains(a)) {
        throw new IllegalArgumentException(
            "algorithm '" + a + "' is not accepted; use asymmetric ones: " + IdentityProvider.DEFAULT_ALGORITHMS);
      }
    }
    String claim = agentClaim == null ? "sub" : agentClaim;
    if (!CLAIMS.contains(claim)) {
      throw new IllegalArgumentException("'agentClaim' must be sub or client_id");
    }
    int skew = clockSkewSeconds == null ? 60 : clockSkewSeconds;
    if (skew < 0 || skew > 600) {
      throw new IllegalArgumentException("'clockSkewSeconds' must be between 0 and 600");
    }
    return new IdentityProvider(id, tenantId, name, issuer, audience, jwksUrl, algs, claim, skew);
  }

  private static void url(String value, String field) {
    if (value != null && value.length() > MAX_URL) {
      throw new IllegalArgumentException("'" + field + "' is longer than " + MAX_URL + " characters");
    }
    URI u;
    try {
      u = URI.create(value == null ? "" : value);
      if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + field + "' must be an absolute https:// (or http://) URL");
    }
    if (u.getRawUserInfo() != null) {
      // Java's URL connection would not even send them; they would only be shown and logged.
      throw new IllegalArgumentException("'" + field + "' must not carry a user name or password");
    }
  }
}
