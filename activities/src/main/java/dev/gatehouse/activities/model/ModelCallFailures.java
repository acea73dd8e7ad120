package dev.gatehouse.activities.model;

import dev.gatehouse.activities.chain.CallFailures;
import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.workflows.model.ModelBudget;

/**
 * How the model chain's failures reach callers: a denial is a {@link ModelCallException} of its
 * code ({@code model_not_found} 404, {@code model_not_allowed} 403, {@code invalid_request} 400, a
 * task's {@code budget_exceeded} 402, {@code pii_detected} and {@code guardrail_blocked} 422); a
 * rate limit's refusal is a retryable {@code rate_limited} 429 that carries what the limit said; a
 * failure is recorded under its code, anything unexpected as {@code internal_error}.
 */
final class ModelCallFailures implements CallFailures {
  static final ModelCallFailures INSTANCE = new ModelCallFailures();
  static final String INTERNAL_ERROR = "internal_error";

  private ModelCallFailures() {}

  @Override
  public RuntimeException denied(Decision denial) {
    int status =
        switch (denial.code()) {
          case ModelCodes.MODEL_NOT_FOUND -> 404;
          case DenialCodes.MODEL_NOT_ALLOWED -> 403;
          case ModelCodes.INVALID_REQUEST -> 400;
          case ModelBudget.BUDGET_EXCEEDED -> 402;
          case DenialCodes.PII_DETECTED, DenialCodes.GUARDRAIL_BLOCKED -> 422;
          default -> throw new IllegalStateException(
              "policy " + denial.policy() + " denied a model call with code '" + denial.code() + "', which has no status");
        };
    String param = ValidateModelRequest.POLICY.equals(denial.policy()) ? ValidateModelRequest.paramOf(denial.reason()) : null;
    return new ModelCallException(denial.code(), status, denial.reason(), param, null, false);
  }

  @Override
  public RuntimeException denied(Decision denial, Exchange<?, ?> exchange) {
    if (DenialCodes.RATE_LIMITED.equals(denial.code()) && exchange.rateLimits() != null) {
      var limits = exchange.rateLimits();
      return new ModelCallException(ModelCodes.RATE_LIMITED, 429, denial.reason(), null, limits.retryAfter(), true, limits);
    }
    return denied(denial);
  }

  @Override
  public String typeOf(Throwable failure) {
    return failure instanceof ModelCallException e ? e.code() : INTERNAL_ERROR;
  }
}
