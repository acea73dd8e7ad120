package dev.gatehouse.frontend.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.core.durable.TaskError;

/** {@code GET /v1/tasks/{id}}: a task as an agent sees it. Timestamps are ISO-8601 UTC. */
public record TaskView(
    String id,
    String workflow,
    String status,
    JsonNode result,
    TaskError error,
    String createdAt,
    String closedAt) {
}
