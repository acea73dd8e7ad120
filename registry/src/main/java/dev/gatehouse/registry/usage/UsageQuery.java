package dev.gatehouse.registry.usage;

import java.time.Duration;
import java.time.Instant;

/**
 * Which usage rows a report or a listing covers: those at or after {@code since} and before
 * {@code until}, of one tenant, agent, model alias and task when these are given (null: any).
 * The range is bounded ({@link #MAX_RANGE}) so a query never sums the whole table.
 *
 * @throws IllegalArgumentException when {@code since} is not before {@code until} or the range is
 *     longer than {@link #MAX_RANGE}; the message names the query parameters and is fit for a client
 */
public record UsageQuery(String tenantId, String agentId, String model, String taskId, Instant since, Instant until) {
  /** The longest time range one query may cover. */
  public static final Duration MAX_RANGE = Duration.ofDays(400);
  /** The range covered when {@code since} is not given: this long before {@code until}. */
  public static final Duration DEFAULT_RANGE = Duration.ofDays(30);

  public UsageQuery {
    if (since == null || until == null) {
      throw new IllegalArgumentException("'since' and 'until' are required");
    }
    if (!since.isBefore(until)) {
      throw new IllegalArgumentException("'since' must be before 'until'");
    }
    if (Duration.between(since, until).compareTo(MAX_RANGE) > 0) {
      throw new IllegalArgumentException("'since' to 'until' may span at most " + MAX_RANGE.toDays() + " days");
    }
  }

  /**
   * A query with the defaults filled in: {@code until} now when not given, {@code since}
   * {@link #DEFAULT_RANGE} before {@code until} when not given.
   */
  public static UsageQuery of(
      String tenantId, String agentId, String model, String taskId, Instant since, Instant until, Instant now) {
    Instant end = until != null ? until : now;
    Instant start = since != null ? since : end.minus(DEFAULT_RANGE);
    return new UsageQuery(tenantId, agentId, model, taskId, start, end);
  }
}
