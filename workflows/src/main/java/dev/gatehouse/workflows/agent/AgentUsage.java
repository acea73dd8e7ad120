package dev.gatehouse.workflows.agent;

/**
 * What an agent task's model calls used together: tokens as the providers reported them, and
 * their cost at the registry's prices (a decimal number as text; "0" when no call had a price).
 */
public record AgentUsage(long inputTokens, long outputTokens, long totalTokens, String cost) {}
