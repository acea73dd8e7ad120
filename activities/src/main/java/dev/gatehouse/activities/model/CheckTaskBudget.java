package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.usage.ModelCosts;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.workflows.model.ModelBudget;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * A task's budget for one model call ({@link ModelCall#budget()}; calls outside agent tasks have
 * none): the call is not sent when its worst case would pass what the task has left. The worst
 * case is its input tokens as Gatehouse counts them ({@link TokenEstimator}) plus its {@code
 * max_tokens}, priced at the most expensive of the model and the fallbacks it may be routed to.
 * Denied as {@link ModelBudget#BUDGET_EXCEEDED}.
 */
final class CheckTaskBudget implements PolicyStep<ModelExchange> {
  static final String POLICY = "task_budget";
  /** The most aliases followed through fallbacks when pricing the worst case. */
  static final int MAX_CHAIN = 16;

  private final ModelCatalog catalog;

  CheckTaskBudget(ModelCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public Decision before(ModelExchange exchange) {
    ModelCall call = exchange.request();
    ModelBudget budget = call.budget();
    if (budget == null || (budget.maxTokens() == null && budget.maxCost() == null)) {
      return PROCEED;
    }
    long output = OutputBound.askedInAll(call.dialect(), call.body());
    if (output <= 0) {
      return deny("a call with a task budget must set max_tokens, or its worst case has no bound");
    }
    long input = exchange.estimatedInputTokens();
    long worst = OutputBound.plus(input, output);
    if (budget.maxTokens() != null && worst > budget.maxTokens()) {
      return deny(
          "the call could use " + worst + " tokens (" + input + " in, up to " + output + " out) and the task has "
              + budget.maxTokens() + " left");
    }
    if (budget.maxCost() != null) {
      BigDecimal left = new BigDecimal(budget.maxCost());
      BigDecimal cost = worstCost(exchange.model(), call.caller().tenantId(), input, output);
      if (cost == null) {
        return deny("model '" + call.alias() + "' (or a fallback) has no prices, so the task's cost limit cannot be kept");
      }
      if (cost.compareTo(left) > 0) {
        return deny("the call could cost " + cost.toPlainString() + " and the task has " + left.toPlainString() + " left");
      }
    }
    return PROCEED;
  }

  private static Decision deny(String why) {
    return Decision.deny(POLICY, ModelBudget.BUDGET_EXCEEDED, why);
  }

  /**
   * The highest cost of {@code input} and {@code output} tokens over the model and its fallbacks
   * ({@link ModelCosts#worst}); null when one of them has no price it needs.
   */
  private BigDecimal worstCost(ModelDefinition model, String tenantId, long input, long output) {
    BigDecimal worst = BigDecimal.ZERO;
    Set<String> seen = new HashSet<>();
    Deque<ModelDefinition> todo = new ArrayDeque<>();
    todo.add(model);
    while (!todo.isEmpty() && seen.size() < MAX_CHAIN) {
      ModelDefinition m = todo.poll();
      if (!seen.add(m.name())) {
        continue;
      }
      BigDecimal cost = ModelCosts.worst(m.prices(), input, output);
      if (cost == null) {
        return null;
      }
      worst = worst.max(cost);
      for (String fallback : m.fallbacks()) {
        catalog.model(fallback, tenantId).ifPresent(todo::add);
      }
    }
    return worst;
  }
}
