package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The limits of one agent task.
 *
 * @param maxSteps the most model calls the loop makes
 * @param maxTokens the most tokens (input and output, every model call together) it may use;
 *     null: no limit
 * @param maxCost the most it may spend at the registry's prices, a decimal number as text; null:
 *     no limit
 * @param deadlineMillis how long after the task starts it stops ({@link AgentWorkflow#DEADLINE});
 *     null: none (the task's own timeout still applies)
 * @param maxOutputTokens the {@code max_tokens} of every model call, part of its worst case
 * @param approvalTimeoutMillis how long a call waits for an operator's decision before it counts
 *     as denied; null: {@link #DEFAULT_APPROVAL_TIMEOUT_MILLIS}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentLimits(
    int maxSteps, Long maxTokens, String maxCost, Long deadlineMillis, int maxOutputTokens, Long approvalTimeoutMillis) {
  /** One day. */
  public static final long DEFAULT_APPROVAL_TIMEOUT_MILLIS = 24L * 60 * 60 * 1000;

  public AgentLimits(int maxSteps, Long maxTokens, String maxCost, Long deadlineMillis, int maxOutputTokens) {
    this(maxSteps, maxTokens, maxCost, deadlineMillis, maxOutputTokens, null);
  }

  long approvalTimeout() {
    return approvalTimeoutMillis == null ? DEFAULT_APPROVAL_TIMEOUT_MILLIS : approvalTimeoutMillis;
  }
}
