package dev.gatehouse.frontend.tasks;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code GET /v1/tasks/{id}}: a task as an agent sees it. Timestamps are ISO-8601 UTC. */
public record TaskView(
    String id,
    String workflow,
    String status,
    JsonNode result,
    TaskError error,
    String createdAt,
    String closedAt) {

  /** Why a task did not complete: a stable code, a message, and the step at fault if any. */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record TaskError(String code, String message, String step) {}
}
