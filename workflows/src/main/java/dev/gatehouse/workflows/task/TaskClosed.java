package dev.gatehouse.workflows.task;

/**
 * How a task ended.
 *
 * @param status {@code COMPLETED}, {@code FAILED} or {@code CANCELED}
 * @param errorCode stable error code when it did not complete, else null
 * @param errorMessage human-readable reason when it did not complete, else null
 */
public record TaskClosed(
    String taskId, String workflowType, String status, String errorCode, String errorMessage) {}
