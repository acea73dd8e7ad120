package dev.gatehouse.registry.agents;

import java.time.Instant;

/**
 * An agent of a tenant. {@code subject} is the value an identity provider's agent claim carries
 * for it (OIDC), or null.
 */
public record Agent(
    String id,
    String tenantId,
    String name,
    String subject,
    Permissions permissions,
    Instant createdAt,
    Instant updatedAt) {}
