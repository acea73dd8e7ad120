package dev.gatehouse.frontend.tasks;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.approval.Approvals;
import java.util.List;
import dev.gatehouse.frontend.core.durable.TaskError;
import dev.gatehouse.registry.tasks.TaskStatus;

/**
 * {@code GET /v1/tasks/{id}}: a task as an agent sees it. Timestamps are ISO-8601 UTC. {@code
 * approvals}: an agent task's calls that needed an operator's decision in its current run (absent
 * when none did); while one waits, {@code status} is {@code WAITING_APPROVAL}.
 */
public record TaskView(
    String id,
    String workflow,
    String status,
    JsonNode result,
    TaskError error,
    String createdAt,
    String closedAt,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Approvals.Call> approvals) {
  /** The status of a running task while one of its calls waits for an operator. */
  static final String WAITING_APPROVAL = "WAITING_APPROVAL";

  public TaskView(String id, String workflow, String status, JsonNode result, TaskError error, String createdAt, String closedAt) {
    this(id, workflow, status, result, error, createdAt, closedAt, null);
  }

  /** Whether the task has not ended: {@code RUNNING}, or {@code WAITING_APPROVAL} (a running task's call waits). */
  boolean running() {
    return status.equals(WAITING_APPROVAL) || !TaskStatus.valueOf(status).isClosed();
  }

  /** A running task's view with its approvals: {@code WAITING_APPROVAL} while one is pending. */
  TaskView withApprovals(List<Approvals.Call> calls) {
    boolean waiting = status.equals("RUNNING") && calls.stream().anyMatch(Approvals.Call::pending);
    return new TaskView(id, workflow, waiting ? WAITING_APPROVAL : status, result, error, createdAt, closedAt, calls);
  }
}
