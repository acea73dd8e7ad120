package dev.gatehouse.activities.chain;

import dev.gatehouse.policies.Decision;

/**
 * One step of a {@link PolicyChain}: a policy (authorize, validate, rate limit, budget, redact,
 * guard) or a bookkeeping concern (resolve, audit, metrics, usage) around a governed call. Each of
 * its three moments is optional:
 *
 * <ul>
 *   <li>{@link #before}, in chain order, before the call: decides whether the call goes on, and
 *       may resolve what later steps need or replace the request. A denial stops the chain: no
 *       later step's {@code before} runs and the call is not made. Throwing fails the call (a
 *       failure, not a denial).
 *   <li>{@link #after}, in reverse chain order, once the call returned: may replace the response
 *       or record usage, or refuse the response with {@link Exchange#deny} (no later step's {@code
 *       after} runs, and the caller gets the denial). Throwing fails the call.
 *   <li>{@link #failed}, in reverse chain order, when the call itself threw (not a denial, not a
 *       step's throw): may replace what the caller is thrown, e.g. the same failure with the
 *       upstream's words in its message redacted. The next step sees the replacement.
 *   <li>{@link #complete}, in reverse chain order, for every step of the chain, whatever happened
 *       (allowed, denied, failed; even for a step whose {@code before} a denial kept from
 *       running): sees the outcome, for audit and metrics. Should not throw; if it does, the other
 *       steps still complete.
 * </ul>
 *
 * A step is shared by every call on every thread: what it holds per call goes in the exchange.
 *
 * @param <E> the exchanges the step understands
 */
public interface PolicyStep<E> {

  /** What {@link #before} returns when the step lets the call go on without a policy decision. */
  Decision PROCEED = Decision.allow(null);

  default Decision before(E exchange) {
    return PROCEED;
  }

  default void after(E exchange) {}

  /**
   * What the caller is thrown for {@code failure}, which the call threw: {@code failure} itself by
   * default. A replacement should be of the same kind (its type, retry and status kept), since
   * callers and later steps read those. Throwing fails the call with what was thrown.
   */
  default RuntimeException failed(E exchange, RuntimeException failure) {
    return failure;
  }

  default void complete(E exchange) {}
}
