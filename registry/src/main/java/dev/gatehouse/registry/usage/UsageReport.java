package dev.gatehouse.registry.usage;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/**
 * What a {@link UsageQuery}'s rows add up to: {@code totals} over the whole range, and {@code days}
 * the same sums per UTC day that has rows, oldest first.
 */
public record UsageReport(Totals totals, List<Day> days) {

  public UsageReport {
    days = List.copyOf(days);
  }

  /**
   * Sums over a set of calls. {@code errors}: calls whose outcome is not {@code ok}. Tokens as in
   * {@link UsageRecord} (input includes cached input, output includes reasoning). {@code cost}: the
   * sum of the priced calls' costs (null when none was priced); {@code unpricedCalls} tells how
   * many calls it leaves out. {@code estimatedCalls}: calls whose tokens Gatehouse counted itself.
   */
  public record Totals(
      long calls,
      long errors,
      long inputTokens,
      long cachedInputTokens,
      long outputTokens,
      long reasoningTokens,
      BigDecimal cost,
      long unpricedCalls,
      long estimatedCalls) {
    public static final Totals NONE = new Totals(0, 0, 0, 0, 0, 0, null, 0, 0);
  }

  /** One UTC day's sums (see {@link Totals}). */
  public record Day(
      LocalDate day,
      long calls,
      long errors,
      long inputTokens,
      long cachedInputTokens,
      long outputTokens,
      long reasoningTokens,
      BigDecimal cost,
      long unpricedCalls,
      long estimatedCalls) {}
}
