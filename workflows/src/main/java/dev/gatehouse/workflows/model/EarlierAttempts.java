package dev.gatehouse.workflows.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import io.temporal.common.converter.Values;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import java.math.BigDecimal;

/**
 * What the provider billed for the earlier attempts of one {@code Model.Call} activity: attempts
 * whose provider answered (and was paid) but which failed all the same, and were tried again by
 * the engine (an answer with no message, a worker that broke after the answer). An agent task
 * counts them against its {@code maxTokens} and {@code maxCost} as it counts the answer's own:
 * without them a step tried three times could spend three times what the task had left, and the
 * usage rows of the task's calls would add up to more than its result said.
 *
 * <p>An attempt keeps what it was billed (the earlier attempts' and its own) as its heartbeat's
 * details, which the engine hands to the next attempt even when the attempt failed; that attempt
 * may then spend only what its budget has left after them, and passes them on: in its result
 * ({@link ModelCallResult#earlierAttempts}), or in its failure's details ({@link #attachTo}), so
 * that a task ending on {@code budget_exceeded}, or waiting for a rate limit and calling again,
 * counts them too ({@link #of}). An attempt whose worker died before its heartbeat reached the
 * engine is not counted (its usage row, if written, still is in the usage API).
 *
 * @param attempts how many earlier attempts were billed
 * @param inputTokens their input tokens, cached ones included
 * @param outputTokens their output tokens
 * @param cost their cost at the registry's prices, a decimal number as text; null when the
 *     model has no prices
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EarlierAttempts(int attempts, long inputTokens, long outputTokens, String cost) {

  /** These and one more billed attempt, which used {@code usage} and cost {@code cost} (null: no price). */
  public static EarlierAttempts plus(EarlierAttempts earlier, ModelCallUsage usage, String cost) {
    long in = usage == null ? 0 : usage.inputTokens();
    long out = usage == null ? 0 : usage.outputTokens();
    if (earlier == null) {
      return new EarlierAttempts(1, in, out, cost);
    }
    String sum = earlier.cost == null ? cost : cost == null ? earlier.cost : new BigDecimal(earlier.cost).add(new BigDecimal(cost)).toPlainString();
    return new EarlierAttempts(earlier.attempts + 1, earlier.inputTokens + in, earlier.outputTokens + out, sum);
  }

  /** What {@code budget} leaves for the next attempt once these are paid: never below nothing. */
  public ModelBudget less(ModelBudget budget) {
    if (budget == null) {
      return null;
    }
    Long tokens = budget.maxTokens() == null ? null : Math.max(0, budget.maxTokens() - inputTokens - outputTokens);
    String money = budget.maxCost();
    if (money != null && cost != null) {
      BigDecimal left = new BigDecimal(money).subtract(new BigDecimal(cost));
      money = (left.signum() < 0 ? BigDecimal.ZERO : left).toPlainString();
    }
    return new ModelBudget(tokens, money);
  }

  /**
   * Where a failure's details hold these: after the wait of a rate limit's (or the worker's)
   * refusal ({@link RateLimitWaits}), first in any other. A failure written before this existed
   * holds nothing there.
   */
  private static int index(String type) {
    return RateLimitWaits.TYPE.equals(type) || RateLimitWaits.OVERLOADED.equals(type) ? 1 : 0;
  }

  /**
   * {@code failure} with {@code earlier} in its details (as it is when there are none), so that
   * the workflow counts them when the failure ends the step.
   */
  public static ApplicationFailure attachTo(ApplicationFailure failure, EarlierAttempts earlier) {
    if (earlier == null) {
      return failure;
    }
    int at = index(failure.getType());
    Values had = failure.getDetails();
    Object[] details = new Object[at + 1];
    for (int i = 0; i < at; i++) {
      details[i] = had != null && i < had.getSize() ? had.get(i, Object.class) : null;
    }
    details[at] = earlier;
    ApplicationFailure attached = ApplicationFailure.newBuilder(failure).setDetails(details).build();
    attached.setStackTrace(failure.getStackTrace());
    return attached;
  }

  /** What a step's failure says its attempts were billed; null when it says nothing (or cannot be read). */
  public static EarlierAttempts of(ActivityFailure failure) {
    if (!(failure.getCause() instanceof ApplicationFailure af) || af.getDetails() == null) {
      return null;
    }
    int at = index(af.getType());
    if (af.getDetails().getSize() <= at) {
      return null;
    }
    try {
      return af.getDetails().get(at, EarlierAttempts.class);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
