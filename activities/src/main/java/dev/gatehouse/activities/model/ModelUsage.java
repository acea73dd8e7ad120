package dev.gatehouse.activities.model;

/**
 * The tokens one model call used. {@code inputTokens} counts every input token, the cached ones
 * included ({@code cachedInputTokens} is the part of it served from the provider's cache);
 * {@code reasoningTokens} is the part of {@code outputTokens} spent reasoning. {@code estimated}:
 * counted by Gatehouse (a stream abandoned before the provider reported usage), not reported by
 * the provider.
 */
public record ModelUsage(
    long inputTokens, long cachedInputTokens, long outputTokens, long reasoningTokens, boolean estimated) {

  public static final ModelUsage NONE = new ModelUsage(0, 0, 0, 0, false);

  /** No count is negative, and no part more than its whole: what a provider reports is held to that. */
  public ModelUsage {
    inputTokens = Math.max(0, inputTokens);
    outputTokens = Math.max(0, outputTokens);
    cachedInputTokens = Math.min(Math.max(0, cachedInputTokens), inputTokens);
    reasoningTokens = Math.min(Math.max(0, reasoningTokens), outputTokens);
  }

  public long totalTokens() {
    return inputTokens + outputTokens;
  }
}
