package dev.gatehouse.registry.audit;

import java.time.Instant;

/**
 * One audit row: who did what to what, what was decided and by which policy, how it ended and
 * how long it took. Never holds a secret or a key.
 *
 * @param action for instance {@code auth}, {@code task.submit}, {@code tool.call}, {@code admin.create}
 * @param decision {@code allow} or {@code deny}
 * @param outcome {@code ok} or an error code
 */
public record AuditEvent(
    Instant at,
    String tenantId,
    String agentId,
    String actor,
    String requestId,
    String taskId,
    String action,
    String target,
    String decision,
    String outcome,
    Integer latencyMs,
    String policy,
    String detail) {}
