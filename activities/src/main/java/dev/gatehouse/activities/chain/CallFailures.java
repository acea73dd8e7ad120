package dev.gatehouse.activities.chain;

import dev.gatehouse.policies.Decision;

/**
 * How one kind of governed call names its failures: the exception a policy denial is thrown as, and
 * the failure type a thrown exception is counted and audited under. The one place a kind of call
 * maps denial codes to its failure types.
 */
public interface CallFailures {

  /** What the caller is thrown for {@code denial}. */
  RuntimeException denied(Decision denial);

  /**
   * What the caller is thrown for {@code denial} of {@code exchange}'s call: by default {@link
   * #denied(Decision)}; a kind of call whose denials carry what a step found (a rate limit's
   * status, for {@code Retry-After}) reads it from the exchange.
   */
  default RuntimeException denied(Decision denial, Exchange<?, ?> exchange) {
    return denied(denial);
  }

  /** The outcome a call that threw {@code failure} is recorded with. */
  String typeOf(Throwable failure);
}
