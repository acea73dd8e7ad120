package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.chain.CallFailures;
import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.workflows.model.ModelBudget;
import dev.gatehouse.workflows.tool.ToolFailureTypes;

/**
 * How the tool chain's failures reach callers: a denial is a non-retryable {@link
 * ToolCallException} of the failure type its code stands for, with the policy's reason as message;
 * a failure is recorded under its {@link ToolCallException#type()}, anything else as {@code
 * InternalError}. A denial code with no failure type here is a bug: the call still fails (closed),
 * as an internal error. A rate limit's refusal ({@code rate_limited}) is the exception:
 * retryable, of type {@code RateLimited}, with what the limit said (for {@code Retry-After}).
 */
final class ToolCallFailures implements CallFailures {
  static final ToolCallFailures INSTANCE = new ToolCallFailures();
  static final String INTERNAL_ERROR = "InternalError";

  private ToolCallFailures() {}

  @Override
  public RuntimeException denied(Decision denial) {
    String type =
        switch (denial.code()) {
          case DenialCodes.TOOL_NOT_ALLOWED -> ToolFailureTypes.TOOL_NOT_ALLOWED;
          case DenialCodes.INVALID_ARGUMENTS -> ToolFailureTypes.INVALID_ARGUMENTS;
          // A budget policy's refusal: the type (and code) of an agent task's own budget refusal.
          case DenialCodes.BUDGET_EXCEEDED -> ModelBudget.BUDGET_EXCEEDED;
          case DenialCodes.PII_DETECTED -> ToolFailureTypes.PII_DETECTED;
          case DenialCodes.GUARDRAIL_BLOCKED -> ToolFailureTypes.GUARDRAIL_BLOCKED;
          default -> throw new IllegalStateException(
              "policy " + denial.policy() + " denied a tool call with code '" + denial.code() + "', which has no tool failure type");
        };
    return new ToolCallException(type, denial.reason(), false);
  }

  @Override
  public RuntimeException denied(Decision denial, Exchange<?, ?> exchange) {
    if (DenialCodes.RATE_LIMITED.equals(denial.code()) && exchange.rateLimits() != null) {
      return new ToolCallException(ToolFailureTypes.RATE_LIMITED, denial.reason(), exchange.rateLimits());
    }
    return denied(denial);
  }

  @Override
  public String typeOf(Throwable failure) {
    return failure instanceof ToolCallException e ? e.type() : INTERNAL_ERROR;
  }
}
