package dev.gatehouse.workflows.agent;

/**
 * What the earlier runs of an agent task did, carried across continue-as-new.
 *
 * @param steps model calls made so far
 * @param toolCalls tool calls asked for so far
 * @param inputTokens input tokens used so far
 * @param outputTokens output tokens used so far
 * @param cost cost so far, a decimal number as text
 * @param deadlineAt when the task stops, in epoch milliseconds of workflow time (0: no deadline)
 * @param runs the runs before this one
 */
public record AgentState(
    int steps, int toolCalls, long inputTokens, long outputTokens, String cost, long deadlineAt, int runs) {}
