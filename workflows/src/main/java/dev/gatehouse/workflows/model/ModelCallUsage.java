package dev.gatehouse.workflows.model;

/**
 * The tokens a model call used, as the provider reported them. {@code inputTokens} counts every
 * input token, the cached ones included ({@code cachedInputTokens} is the part served from the
 * provider's cache); {@code reasoningTokens} is the part of {@code outputTokens} spent reasoning.
 * {@code estimated}: counted by Gatehouse because the provider reported none.
 */
public record ModelCallUsage(
    long inputTokens, long cachedInputTokens, long outputTokens, long reasoningTokens, boolean estimated) {}
