package dev.gatehouse.registry.idp;

import java.util.List;

/**
 * An OIDC identity provider of a tenant: tokens from {@code issuer} for {@code audience}, signed
 * with a key from {@code jwksUrl} by one of {@code algorithms}, name their agent in
 * {@code agentClaim} ({@code sub} or {@code client_id}).
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
    int clockSkewSeconds) {

  /** Asymmetric signatures only: {@code none} and HMAC are never accepted. */
  public static final List<String> DEFAULT_ALGORITHMS =
      List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA");

  public IdentityProvider {
    algorithms = algorithms == null || algorithms.isEmpty() ? DEFAULT_ALGORITHMS : List.copyOf(algorithms);
    agentClaim = agentClaim == null ? "sub" : agentClaim;
  }
}
