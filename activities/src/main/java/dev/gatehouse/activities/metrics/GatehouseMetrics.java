package dev.gatehouse.activities.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
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
  private final Gauge mcpServerUp;
  private final Gauge mcpServerTools;
  private final Gauge mcpSessions;
  private final Counter admissionRefused;

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
  }

  /** A request refused by admission control ({@code overloaded}) because of {@code limit}. */
  public void admissionRefused(String limit) {
    admissionRefused.labels(limit).inc();
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

  /** One attempt of a tool call; {@code outcome} is {@code ok} or a failure type. */
  public void toolCall(String tool, String outcome, int attempt, double seconds) {
    toolCallSeconds.labels(tool, outcome).observe(seconds);
    toolCallAttempts.labels(tool, outcome, attempt > 1 ? "true" : "false").inc();
  }
}
