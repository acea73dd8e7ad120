package dev.gatehouse.activities.metrics;

import dev.gatehouse.registry.budgets.BudgetDao;
import io.prometheus.client.Collector;
import io.prometheus.client.GaugeMetricFamily;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The budgets' gauges, read from PostgreSQL when Prometheus scrapes (one grouped query over the
 * current periods' rows), so every replica reports the same numbers: take {@code max}, not {@code
 * sum}, across replicas. One series per budget policy, subject kind ({@code per}: {@code agent} or
 * {@code tenant}) and {@code unit} ({@code tokens} or {@code cost}): policy names are registry
 * entries, so the series are as many as the operator wrote policies (at most {@value
 * #MAX_POLICIES} are reported), never one per request, agent or tenant. Per subject, the numbers
 * are in {@code GET /admin/v1/budgets}.
 */
final class BudgetGauges extends Collector {
  private static final Logger LOG = LoggerFactory.getLogger(BudgetGauges.class);
  static final int MAX_POLICIES = 1000;
  private static final List<String> LABELS = List.of("policy", "per", "unit");

  private final Supplier<List<BudgetDao.Totals>> totals;
  private volatile long lastWarning;

  BudgetGauges(Supplier<List<BudgetDao.Totals>> totals) {
    this.totals = totals;
  }

  @Override
  public List<MetricFamilySamples> collect() {
    List<BudgetDao.Totals> rows;
    try {
      rows = totals.get();
    } catch (RuntimeException e) {
      // A scrape must not fail because the database is away: the budgets are left out of this one.
      long now = System.nanoTime();
      if (now - lastWarning > 60_000_000_000L) {
        lastWarning = now;
        LOG.warn("could not read the budgets for the metrics: {}", e.toString());
      }
      return List.of();
    }
    GaugeMetricFamily limit =
        new GaugeMetricFamily("gatehouse_budget_limit", "Each subject's limit of the budget policy in its period.", LABELS);
    GaugeMetricFamily spent =
        new GaugeMetricFamily(
            "gatehouse_budget_spent", "What the policy's subjects spent in the current period (settled calls), summed.", LABELS);
    GaugeMetricFamily reserved =
        new GaugeMetricFamily(
            "gatehouse_budget_reserved", "What calls in flight reserved of the policy's budgets (their worst case), summed.", LABELS);
    GaugeMetricFamily maxSpent =
        new GaugeMetricFamily(
            "gatehouse_budget_max_spent", "The most one subject spent of the policy's budget in the current period.", LABELS);
    GaugeMetricFamily subjects =
        new GaugeMetricFamily(
            "gatehouse_budget_subjects", "Subjects (agents or tenants) with a budget of the policy in the current period.",
            List.of("policy", "per"));
    int n = 0;
    for (BudgetDao.Totals t : rows) {
      if (n++ == MAX_POLICIES) {
        break;
      }
      subjects.addMetric(List.of(t.policy(), t.per()), t.subjects());
      if (t.limitTokens() != null) {
        List<String> labels = List.of(t.policy(), t.per(), "tokens");
        limit.addMetric(labels, t.limitTokens());
        spent.addMetric(labels, t.spentTokens());
        reserved.addMetric(labels, t.reservedTokens());
        maxSpent.addMetric(labels, t.maxSpentTokens());
      }
      if (t.limitCost() != null) {
        List<String> labels = List.of(t.policy(), t.per(), "cost");
        limit.addMetric(labels, t.limitCost().doubleValue());
        spent.addMetric(labels, value(t.spentCost()));
        reserved.addMetric(labels, value(t.reservedCost()));
        maxSpent.addMetric(labels, value(t.maxSpentCost()));
      }
    }
    List<MetricFamilySamples> out = new ArrayList<>(5);
    out.add(limit);
    out.add(spent);
    out.add(reserved);
    out.add(maxSpent);
    out.add(subjects);
    return out;
  }

  private static double value(BigDecimal d) {
    return d == null ? 0 : d.doubleValue();
  }
}
