package dev.gatehouse.registry.keys;

import java.time.Instant;

/**
 * A key as lists show it: never the key itself. {@code owner} is the agent id of an agent key, or
 * the tenant id of a tenant admin key (null for a platform admin key).
 */
public record KeyRecord(
    String id, String owner, String name, String prefix, Instant createdAt, Instant expiresAt, Instant revokedAt) {

  public boolean liveAt(Instant now) {
    return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
  }
}
