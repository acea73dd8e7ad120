package dev.gatehouse.frontend.core.auth;

import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.keys.ApiKeyDao;
import dev.gatehouse.registry.keys.ApiKeys;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/** Agent and admin keys: found by their lookup id, compared in constant time, expiry and revocation honoured. */
final class KeyAuthenticator {
  private final ApiKeyDao keys;
  private final AgentDao agents;

  KeyAuthenticator(Jdbi jdbi) {
    this.keys = jdbi.onDemand(ApiKeyDao.class);
    this.agents = jdbi.onDemand(AgentDao.class);
  }

  Caller authenticate(String key) throws AuthenticationException {
    String id = ApiKeys.idOf(key);
    Instant now = Instant.now();
    if (ApiKeys.isAdminKey(key)) {
      ApiKeyDao.Stored stored = keys.findAdminKey(id).orElse(null);
      check(stored, key, now);
      return new Caller.AdminCaller(stored.id(), stored.owner(), stored.expiresAt());
    }
    ApiKeyDao.Stored stored = keys.findAgentKey(id).orElse(null);
    check(stored, key, now);
    return agents
        .find(stored.owner())
        .map(a -> (Caller) new Caller.AgentCaller(a, List.of(), stored.id(), stored.expiresAt()))
        .orElseThrow(() -> new AuthenticationException("the key's agent no longer exists"));
  }

  private static void check(ApiKeyDao.Stored stored, String key, Instant now) throws AuthenticationException {
    // Compare even when nothing was found, so a miss takes as long as a wrong secret.
    byte[] hash = stored == null ? new byte[32] : stored.secretHash();
    boolean same = ApiKeys.matches(key, hash);
    if (stored == null || !same) {
      throw new AuthenticationException("the key is not valid"); // sent as a bearer or, on the Anthropic face, as x-api-key
    }
    if (!stored.liveAt(now)) {
      throw new AuthenticationException(stored.revokedAt() != null ? "the key was revoked" : "the key has expired");
    }
  }
}
