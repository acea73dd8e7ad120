package dev.gatehouse.registry.tenants;

import java.time.Instant;

/** A tenant: the unit of isolation. Agents, tasks, tenant tools and secrets belong to one. */
public record Tenant(String id, String name, Instant createdAt) {}
