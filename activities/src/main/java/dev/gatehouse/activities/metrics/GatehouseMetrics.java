package dev.gatehouse.activities.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Histogram;

/**
 * Every Gatehouse metric, registered on one {@link CollectorRegistry} per application (not the
 * static default, so several instances can share a JVM in tests).
 */
public final class GatehouseMetrics {
  private final CollectorRegistry registry;
  private final Counter httpRequests;
  private final Counter tasksStarted;
  private final Counter tasksFinished;
  private final Histogram toolCallSeconds;
  private final Counter toolCallAttempts;

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

  /** One attempt of a tool call; {@code outcome} is {@code ok} or a failure type. */
  public void toolCall(String tool, String outcome, int attempt, double seconds) {
    toolCallSeconds.labels(tool, outcome).observe(seconds);
    toolCallAttempts.labels(tool, outcome, attempt > 1 ? "true" : "false").inc();
  }
}
