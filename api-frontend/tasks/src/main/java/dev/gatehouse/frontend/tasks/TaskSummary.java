package dev.gatehouse.frontend.tasks;

import java.util.List;

/** {@code GET /v1/tasks}: one page of tasks, newest first, from Gatehouse's task index. */
public record TaskSummary(String id, String workflow, String status, String createdAt, String closedAt) {

  public record Page(List<TaskSummary> tasks, String nextCursor) {}
}
