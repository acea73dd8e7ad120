package dev.gatehouse.workflows.spi;

import dev.gatehouse.workflows.tool.ToolCallPolicy;

/**
 * A tool a task's workflow may call, as the registry and the approval policy had it when the task
 * was submitted.
 *
 * @param policy the tool's timeout and retry policy
 * @param approval whether each call waits for an operator's decision
 * @param approvalPolicy the version of the approval policy that holds its calls (null when none
 *     does)
 */
public record ToolGrant(ToolCallPolicy policy, boolean approval, String approvalPolicy) {}
