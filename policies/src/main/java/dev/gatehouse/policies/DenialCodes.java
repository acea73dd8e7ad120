package dev.gatehouse.policies;

/**
 * The stable {@link Decision#code()}s of denials. Callers that turn a denial into their own failure
 * type match on these, so a policy and its callers cannot drift apart by a spelling.
 */
public final class DenialCodes {
  public static final String TOOL_NOT_ALLOWED = "tool_not_allowed";
  public static final String MODEL_NOT_ALLOWED = "model_not_allowed";
  public static final String WORKFLOW_NOT_ALLOWED = "workflow_not_allowed";
  public static final String INVALID_ARGUMENTS = "invalid_arguments";
  /** A guardrail found something whose action is BLOCK in a tool result or a model request. */
  public static final String GUARDRAIL_BLOCKED = "guardrail_blocked";
  /** Personal data or a credential was found where the PII policy's action is BLOCK. */
  public static final String PII_DETECTED = "pii_detected";
  /** A rate-limit policy has no tokens left for the call now; the reason says when it will. */
  public static final String RATE_LIMITED = "rate_limited";
  /**
   * A budget policy's period has not enough left for the call's worst case (nothing was sent).
   * The same code as an agent task's own budget ({@code ModelBudget.BUDGET_EXCEEDED}).
   */
  public static final String BUDGET_EXCEEDED = "budget_exceeded";

  private DenialCodes() {}
}
