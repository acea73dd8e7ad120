package dev.gatehouse.frontend.tasks;

import java.util.List;

/**
 * {@code GET /v1/tasks}: one page of tasks, newest first, from Gatehouse's task index. {@code
 * archived}: the task's history is kept in Gatehouse's archive, so its trace and events outlive
 * the engine.
 */
public record TaskSummary(String id, String workflow, String status, String createdAt, String closedAt, boolean archived) {

  public record Page(List<TaskSummary> tasks, String nextCursor) {}
}
