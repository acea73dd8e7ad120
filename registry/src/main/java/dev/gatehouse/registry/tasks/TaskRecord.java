package dev.gatehouse.registry.tasks;

import java.time.Instant;

/** A row of the task index. */
public record TaskRecord(
    String id,
    String tenantId,
    String agentId,
    String workflow,
    TaskStatus status,
    String idempotencyKey,
    String requestHash,
    String errorCode,
    String errorMessage,
    Instant createdAt,
    Instant closedAt) {}
