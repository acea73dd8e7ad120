package dev.gatehouse.policies;

/**
 * The outcome of a policy, as a value: allow; deny with a stable {@code code} and a reason a
 * caller can read; or let the call go on having done something to it, {@link #transform} (the
 * request or response was changed: a redaction) or {@link #record} (it was only noted: a finding
 * recorded or flagged, a reservation, a rate limit's take). {@code policy} names the policy that
 * decided, for a policy entry {@code name@version} (audit, traces, metrics).
 */
public record Decision(boolean allowed, String code, String reason, String policy) {
  /** The code of a decision that let the call go on changed ({@link #transform}). */
  public static final String TRANSFORMED = "transformed";
  /** The code of a decision that let the call go on unchanged but noted something ({@link #record}). */
  public static final String RECORDED = "recorded";

  public static Decision allow(String policy) {
    return new Decision(true, null, null, policy);
  }

  public static Decision deny(String policy, String code, String reason) {
    return new Decision(false, code, reason, policy);
  }

  /** {@code policy} changed the request or the response, as {@code what} says ({@code redacted EMAIL×1 in tool-results}). */
  public static Decision transform(String policy, String what) {
    return new Decision(true, TRANSFORMED, what, policy);
  }

  /** {@code policy} let the call go on as it was and noted {@code what} ({@code reserved 1200 tokens}). */
  public static Decision record(String policy, String what) {
    return new Decision(true, RECORDED, what, policy);
  }

  /** How audit rows and traces list a transform or a record: the policy, then what it did. */
  public String note() {
    return reason == null ? policy : policy + " " + reason;
  }
}
