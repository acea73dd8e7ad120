package dev.gatehouse.registry.tasks;

import java.time.Instant;

/**
 * A row of the task index. {@code deadline}: when the run timeout ends the task (null for rows
 * from before it was recorded); {@code cancelRequestedAt}: when its cancellation was first asked for.
 */
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
    Instant closedAt,
    Instant deadline,
    Instant cancelRequestedAt) {}
