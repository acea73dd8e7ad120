package dev.gatehouse.activities.metrics;

import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.budgets.BudgetDao;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import java.math.BigDecimal;
import java.util.List;
import java.util.function.Supplier;

/**
 * Every Gatehouse metric, registered on one {@link CollectorRegistry} per application (not the
 * static default, so several instances can share a JVM in tests).
 */
public final class GatehouseMetrics {
  private final CollectorRegistry registry;
  private final Counter httpRequests;
  private final Counter tasksStarted;
  private final Counter tasksFinished;
  private final Counter historiesArchived;
  private final Histogram toolCallSeconds;
  private final Counter toolCallAttempts;
  private final Gauge mcpServerUp;
  private final Gauge mcpServerTools;
  private final Gauge mcpSessions;
  private final Counter admissionRefused;
  private final Counter slowReaders;
  private final Counter modelCalls;
  private final Histogram modelCallSeconds;
  private final Histogram modelTtftSeconds;
  private final Counter modelTokens;
  private final Counter modelCost;
  private final Counter budgetRefusals;
  private final Counter budgetSettlementsFailed;
  private final Counter policyDecisions;
  private BudgetGauges budgetGauges;

  public GatehouseMetrics(CollectorRegistry registry) {
    this.registry = registry;
    httpRequests =
        Counter.build("gatehouse_http_requests_total", "HTTP requests by route, method and status.")
            .labelNames("route", "method", "status")
            .register(registry);
    tasksStarted =
        Counter.build("gatehouse_tasks_started_total", "Tasks started, by workflow.")
            .labelNames("workflow")
            .register(registry);
    tasksFinished =
        Counter.build(
                "gatehouse_tasks_finished_total",
                "Tasks that ended, by workflow and status (COMPLETED, FAILED, CANCELED).")
            .labelNames("workflow", "status")
            .register(registry);
    historiesArchived =
        Counter.build(
                "gatehouse_task_histories_archived_total",
                "Histories of ended tasks archived in PostgreSQL by this replica: kept, or lost (the engine no longer had them).")
            .labelNames("outcome")
            .register(registry);
    toolCallSeconds =
        Histogram.build("gatehouse_tool_call_duration_seconds", "Latency of one tool-call attempt.")
            .labelNames("tool", "outcome")
            .buckets(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .register(registry);
    toolCallAttempts =
        Counter.build(
                "gatehouse_tool_call_attempts_total",
                "Tool-call attempts by tool and outcome; attempt > 1 are retries.")
            .labelNames("tool", "outcome", "retry")
            .register(registry);
    mcpServerUp =
        Gauge.build("gatehouse_mcp_server_up", "1 when the upstream MCP server answered its last check, else 0.")
            .labelNames("server")
            .register(registry);
    mcpServerTools =
        Gauge.build("gatehouse_mcp_server_tools", "Tools the upstream MCP server listed at its last discovery.")
            .labelNames("server")
            .register(registry);
    mcpSessions =
        Gauge.build("gatehouse_mcp_sessions", "Open downstream MCP sessions on this replica.").register(registry);
    admissionRefused =
        Counter.build("gatehouse_admission_refused_total", "Requests refused as overloaded, by the limit they hit.")
            .labelNames("limit")
            .register(registry);
    slowReaders =
        Counter.build(
                "gatehouse_slow_readers_total",
                "Connections closed because their client read its answer slower than limits.minResponseRate.")
            .register(registry);
    modelCalls =
        Counter.build(
                "gatehouse_model_calls_total",
                "Model calls by model alias, the provider that answered (none: no provider did), agent and outcome.")
            .labelNames("model", "provider", "agent", "outcome")
            .register(registry);
    modelCallSeconds =
        Histogram.build("gatehouse_model_call_duration_seconds", "Latency of one model call, to its last byte.")
            .labelNames("model", "provider", "agent")
            .buckets(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)
            .register(registry);
    modelTtftSeconds =
        Histogram.build(
                "gatehouse_model_time_to_first_token_seconds", "Time to the first token of a streamed model call.")
            .labelNames("model", "provider", "agent")
            .buckets(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)
            .register(registry);
    modelTokens =
        Counter.build(
                "gatehouse_model_tokens_total",
                "Model tokens by kind: input (cached and cache writes included), cached_input, cache_write_input, output (reasoning included), reasoning.")
            .labelNames("model", "provider", "agent", "kind")
            .register(registry);
    modelCost =
        Counter.build(
                "gatehouse_model_cost_total",
                "What model calls cost at the registry's prices, in the operator's currency (unpriced calls add nothing).")
            .labelNames("model", "provider", "agent")
            .register(registry);
    budgetRefusals =
        Counter.build(
                "gatehouse_budget_refusals_total",
                "Calls refused (budget_exceeded) because a budget policy's period had not enough left, by policy name.")
            .labelNames("policy")
            .register(registry);
    budgetSettlementsFailed =
        Counter.build(
                "gatehouse_budget_settlements_failed_total",
                "Budget settlements this replica could not write and gave up on (the reservation is released when it expires).")
            .register(registry);
    policyDecisions =
        Counter.build(
                "gatehouse_policy_decisions_total",
                "What policies decided about governed calls, by policy name and decision: a denial's code (pii_detected, "
                    + "rate_limited, ...), transformed (a redaction) or recorded (a flag, a reservation, a rate limit's take).")
            .labelNames("policy", "decision")
            .register(registry);
  }

  /**
   * A policy decided {@code d} about a call: counted by the policy's name (without an entry's
   * {@code @version}, so editing an entry keeps its series; names are bounded by the registry's
   * entries and the built-in policies) and the decision's code (a denial's, {@code transformed} or
   * {@code recorded}).
   */
  public void policyDecision(Decision d) {
    policyDecisions.labels(label(policyName(d.policy())), label(d.code())).inc();
  }

  /** {@code name@version} less its version; another name as it is. */
  static String policyName(String policy) {
    if (policy == null) {
      return "unknown";
    }
    int at = policy.lastIndexOf('@');
    return at > 0 ? policy.substring(0, at) : policy;
  }

  /** A call refused by budget policy {@code policy} (its name: bounded by the registry's entries). */
  public void budgetRefused(String policy) {
    budgetRefusals.labels(label(policy)).inc();
  }

  /** A settlement given up on after its retries. */
  public void budgetSettlementFailed() {
    budgetSettlementsFailed.inc();
  }

  /**
   * Reports the budgets' gauges ({@code gatehouse_budget_limit}, {@code _spent}, {@code
   * _reserved}, {@code _max_spent}, {@code _subjects}), read from {@code totals} at each scrape.
   * Once per registry: a later call is ignored.
   */
  public synchronized void budgetGauges(Supplier<List<BudgetDao.Totals>> totals) {
    if (budgetGauges == null) {
      budgetGauges = new BudgetGauges(totals).register(registry);
    }
  }

  /** A request refused by admission control ({@code overloaded}) because of {@code limit}. */
  public void admissionRefused(String limit) {
    admissionRefused.labels(limit).inc();
  }

  /** A connection closed because its client read its answer too slowly. */
  public void slowReaderCutOff() {
    slowReaders.inc();
  }

  public void mcpServer(String server, boolean up, int tools) {
    mcpServerUp.labels(server).set(up ? 1 : 0);
    if (up) {
      mcpServerTools.labels(server).set(tools);
    }
  }

  public void mcpServerRemoved(String server) {
    mcpServerUp.remove(server);
    mcpServerTools.remove(server);
  }

  public void mcpSessions(int open) {
    mcpSessions.set(open);
  }

  public CollectorRegistry registry() {
    return registry;
  }

  public void httpRequest(String route, String method, int status) {
    httpRequests.labels(route, method, Integer.toString(status)).inc();
  }

  public void taskStarted(String workflow) {
    tasksStarted.labels(workflow).inc();
  }

  public void taskFinished(String workflow, String status) {
    tasksFinished.labels(workflow, status).inc();
  }

  /** A task's history archived ({@code kept}), or recorded as lost because the engine no longer had it. */
  public void historyArchived(boolean kept) {
    historiesArchived.labels(kept ? "kept" : "lost").inc();
  }

  /**
   * One attempt of a tool call; {@code outcome} is {@code ok} or a failure type, counted by its
   * code ({@code UpstreamError} as {@code upstream_error}), as the audit rows and the model
   * metrics name outcomes.
   */
  public void toolCall(String tool, String outcome, int attempt, double seconds) {
    String code = dev.gatehouse.workflows.task.FailureCodes.of(outcome);
    toolCallSeconds.labels(tool, code).observe(seconds);
    toolCallAttempts.labels(tool, code, attempt > 1 ? "true" : "false").inc();
  }

  /**
   * One model call: {@code outcome} is {@code ok} or a failure code; {@code provider} the one that
   * answered (null: none did); {@code ttftSeconds} null when the call was not streamed; {@code
   * usage} and {@code cost} null when unknown. Null label values are {@code none}.
   */
  public void modelCall(
      String model,
      String provider,
      String agent,
      String outcome,
      double seconds,
      Double ttftSeconds,
      ModelUsage usage,
      BigDecimal cost) {
    String m = label(model);
    String p = label(provider);
    String a = label(agent);
    modelCalls.labels(m, p, a, label(outcome)).inc();
    modelCallSeconds.labels(m, p, a).observe(Math.max(0, seconds));
    if (ttftSeconds != null) {
      modelTtftSeconds.labels(m, p, a).observe(Math.max(0, ttftSeconds));
    }
    if (usage != null) {
      modelTokens.labels(m, p, a, "input").inc(Math.max(0, usage.inputTokens()));
      modelTokens.labels(m, p, a, "cached_input").inc(Math.max(0, usage.cachedInputTokens()));
      modelTokens.labels(m, p, a, "cache_write_input").inc(Math.max(0, usage.cacheWriteInputTokens()));
      modelTokens.labels(m, p, a, "output").inc(Math.max(0, usage.outputTokens()));
      modelTokens.labels(m, p, a, "reasoning").inc(Math.max(0, usage.reasoningTokens()));
    }
    if (cost != null && cost.signum() > 0) {
      modelCost.labels(m, p, a).inc(cost.doubleValue());
    }
  }

  private static String label(String value) {
    return value == null || value.isEmpty() ? "none" : value;
  }
}
