package dev.gatehouse.activities.model;

/**
 * The tokens one model call used. {@code inputTokens} counts every input token, the cached ones
 * included ({@code cachedInputTokens} is the part of it served from the provider's cache, {@code
 * cacheWriteInputTokens} the part the provider wrote to its cache: Anthropic's {@code
 * cache_creation_input_tokens}); {@code reasoningTokens} is the part of {@code outputTokens} spent
 * reasoning. {@code estimated}: counted by Gatehouse (a stream abandoned before the provider
 * reported usage), not reported by the provider.
 */
public record ModelUsage(
    long inputTokens,
    long cachedInputTokens,
    long cacheWriteInputTokens,
    long outputTokens,
    long reasoningTokens,
    boolean estimated) {

  public static final ModelUsage NONE = new ModelUsage(0, 0, 0, 0, false);

  /** No count is negative, and no part more than its whole: what a provider reports is held to that. */
  public ModelUsage {
    inputTokens = Math.max(0, inputTokens);
    outputTokens = Math.max(0, outputTokens);
    cachedInputTokens = Math.min(Math.max(0, cachedInputTokens), inputTokens);
    cacheWriteInputTokens = Math.min(Math.max(0, cacheWriteInputTokens), inputTokens - cachedInputTokens);
    reasoningTokens = Math.min(Math.max(0, reasoningTokens), outputTokens);
  }

  /** A usage without cache writes (every provider's but Anthropic's). */
  public ModelUsage(long inputTokens, long cachedInputTokens, long outputTokens, long reasoningTokens, boolean estimated) {
    this(inputTokens, cachedInputTokens, 0, outputTokens, reasoningTokens, estimated);
  }

  public long totalTokens() {
    return inputTokens + outputTokens;
  }
}
