package dev.gatehouse.frontend.core.auth;

import dev.gatehouse.registry.agents.Agent;
import java.security.Principal;
import java.util.List;

/** Who is calling: an agent (API key or OIDC token) or an admin (admin key). */
public sealed interface Caller extends Principal permits Caller.AgentCaller, Caller.AdminCaller {

  /** When the credential stops being valid (a key's {@code expiresAt}, a token's {@code exp}), or null. */
  java.time.Instant expiresAt();

  /**
   * An agent; {@code scopes} are its token's scopes (empty for API keys); {@code credential} the
   * key id or the token's provider; {@code expiresAt} when the credential stops being valid (a
   * token's {@code exp}), or null.
   */
  record AgentCaller(Agent agent, List<String> scopes, String credential, java.time.Instant expiresAt) implements Caller {
    @Override
    public String getName() {
      return agent.id();
    }
  }

  /** An admin key: of the platform ({@code tenantId} null) or of one tenant; {@code expiresAt} the key's, or null. */
  record AdminCaller(String keyId, String tenantId, java.time.Instant expiresAt) implements Caller {
    /** A key that does not expire. */
    public AdminCaller(String keyId, String tenantId) {
      this(keyId, tenantId, null);
    }

    @Override
    public String getName() {
      return keyId;
    }

    public boolean isPlatform() {
      return tenantId == null;
    }
  }
}
