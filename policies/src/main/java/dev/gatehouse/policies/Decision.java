package dev.gatehouse.policies;

/**
 * The outcome of a policy: allow, or deny with a stable {@code code}, a reason a caller can read,
 * and the name of the policy that decided (for audit and metrics).
 */
public record Decision(boolean allowed, String code, String reason, String policy) {

  public static Decision allow(String policy) {
    return new Decision(true, null, null, policy);
  }

  public static Decision deny(String policy, String code, String reason) {
    return new Decision(false, code, reason, policy);
  }
}
