package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.policy.ChargeBudgets;
import java.math.BigDecimal;

/**
 * How a tool call counts against budget policies: no tokens, and the {@code cost} its registry
 * entry declares (HTTP tools; none: nothing, and MCP tools declare none). The worst case is that
 * cost; a call whose upstream returned a result spent it (even if a step after it then failed the
 * call), one that was refused or whose upstream failed spent nothing.
 */
final class ToolBudgetPricing implements ChargeBudgets.Pricing<ToolExchange> {

  @Override
  public ChargeBudgets.Worst worstCase(ToolExchange x) {
    return new ChargeBudgets.Worst(0, declared(x), null, null);
  }

  @Override
  public ChargeBudgets.Used used(ToolExchange x) {
    return new ChargeBudgets.Used(0, x.response() != null ? declared(x) : BigDecimal.ZERO);
  }

  private static BigDecimal declared(ToolExchange x) {
    return x.httpTool() != null && x.httpTool().cost() != null ? x.httpTool().cost() : BigDecimal.ZERO;
  }
}
