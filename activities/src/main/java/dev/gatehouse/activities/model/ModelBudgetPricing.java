package dev.gatehouse.activities.model;

import dev.gatehouse.activities.policy.ChargeBudgets;
import dev.gatehouse.activities.usage.ModelCosts;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.usage.UsageRecord;
import java.math.BigDecimal;

/**
 * How a model call counts against budget policies. Its worst case: its input tokens as Gatehouse
 * counts them ({@link TokenEstimator}) plus the most it may write ({@link OutputBound}: its
 * {@code max_tokens} per choice, times its choices); none for embeddings. Its
 * worst cost: those tokens at the prices of the alias it named (the prices its usage row is
 * charged at), input all uncached, all read from the cache or all written to it, whichever costs
 * more ({@link ModelCosts#worst}); unknown when the model has
 * no prices. What it used: the tokens (input and output) and cost of its usage row, computed by
 * {@link RecordUsage#row} as the row is, so what a budget spent is the sum of its calls' rows.
 */
final class ModelBudgetPricing implements ChargeBudgets.Pricing<ModelExchange> {
  @Override
  public ChargeBudgets.Worst worstCase(ModelExchange x) {
    ModelCall call = x.request();
    long input = x.estimatedInputTokens();
    long output = call.kind() == ModelCall.Kind.EMBEDDINGS ? 0 : OutputBound.maxOutput(call.dialect(), call.body(), x.model());
    BigDecimal cost = worstCost(x.model(), input, output);
    String unpriced =
        cost == null ? "model '" + call.alias() + "' has no prices in the registry (input and output per million tokens)" : null;
    return new ChargeBudgets.Worst(OutputBound.plus(input, output), cost, input + " in, up to " + output + " out", unpriced);
  }

  @Override
  public ChargeBudgets.Used used(ModelExchange x) {
    UsageRecord row = RecordUsage.row(x);
    return new ChargeBudgets.Used(row.inputTokens() + row.outputTokens(), row.cost() == null ? BigDecimal.ZERO : row.cost());
  }

  private static BigDecimal worstCost(ModelDefinition model, long input, long output) {
    if (model == null) {
      return null;
    }
    return ModelCosts.worst(model.prices(), input, output);
  }
}
