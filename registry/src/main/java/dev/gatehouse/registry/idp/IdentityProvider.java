package dev.gatehouse.registry.idp;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/**
 * An OIDC identity provider of a tenant: tokens from {@code issuer} for {@code audience}, signed
 * with a key from {@code jwksUrl} by one of {@code algorithms}, name their agent in
 * {@code agentClaim} ({@code sub} or {@code client_id}). {@code egressGuarded}: written by a tenant
 * admin, so the JWKS fetch may not reach an internal address whatever the host resolves to.
 */
public record IdentityProvider(
    String id,
    String tenantId,
    String name,
    String issuer,
    String audience,
    String jwksUrl,
    List<String> algorithms,
    String agentClaim,
    int clockSkewSeconds,
    @JsonIgnore boolean egressGuarded) {

  /**
   * Asymmetric signatures only: {@code none} and HMAC are never accepted. (EdDSA is not among them:
   * the JOSE library verifies it only with Google Tink, which Gatehouse does not ship.)
   */
  public static final List<String> DEFAULT_ALGORITHMS =
      List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");

  /** A provider written by a platform admin or the registry file (not egress-guarded). */
  public IdentityProvider(
      String id, String tenantId, String name, String issuer, String audience, String jwksUrl, List<String> algorithms,
      String agentClaim, int clockSkewSeconds) {
    this(id, tenantId, name, issuer, audience, jwksUrl, algorithms, agentClaim, clockSkewSeconds, false);
  }

  /** This provider as written by a tenant admin ({@code guarded}) or by a platform admin or the registry file. */
  public IdentityProvider withEgressGuarded(boolean guarded) {
    return new IdentityProvider(id, tenantId, name, issuer, audience, jwksUrl, algorithms, agentClaim, clockSkewSeconds, guarded);
  }

  public IdentityProvider {
    algorithms = algorithms == null || algorithms.isEmpty() ? DEFAULT_ALGORITHMS : List.copyOf(algorithms);
    agentClaim = agentClaim == null ? "sub" : agentClaim;
  }
}
