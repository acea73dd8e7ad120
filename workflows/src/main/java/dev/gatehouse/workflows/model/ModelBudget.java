package dev.gatehouse.workflows.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a task may still spend on one {@code Model.Call}: the call is not sent when its worst case
 * (its input tokens, counted by Gatehouse, plus its {@code max_tokens}, at the model's prices)
 * would pass either limit; the activity fails then with the non-retryable type {@link
 * #BUDGET_EXCEEDED}. A null limit does not bound.
 *
 * @param maxTokens input and output tokens the call may use at most
 * @param maxCost cost the call may reach at most, a decimal number as text (exact), in the
 *     currency of the registry's prices
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelBudget(Long maxTokens, String maxCost) {
  /** The failure type (and the gateway's error code) of a call its budget does not cover. */
  public static final String BUDGET_EXCEEDED = "budget_exceeded";
}
