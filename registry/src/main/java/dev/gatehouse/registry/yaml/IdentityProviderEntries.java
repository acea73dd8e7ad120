package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviders;

/**
 * Checks one identity provider entry of a tenant in the registry file and turns it into an
 * {@link IdentityProvider}, through {@link IdentityProviders} as the admin API does.
 */
public final class IdentityProviderEntries {
  private IdentityProviderEntries() {}

  /**
   * The provider with defaults filled in, and no id or tenant yet; throws {@code invalid_registry}
   * naming the field, {@code where} being the entry's path.
   */
  public static IdentityProvider check(String where, RegistryFile.IdentityProvider p) {
    EntryChecks.name(where + ".name", p == null ? null : p.name());
    try {
      return IdentityProviders.check(null, null, p.name(), p.issuer(), p.audience(), p.jwksUrl(), p.algorithms(),
          p.agentClaim(), p.clockSkewSeconds());
    } catch (IllegalArgumentException e) {
      throw bad(where + " (" + p.name() + ")", e.getMessage());
    }
  }
}
