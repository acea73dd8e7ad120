package dev.gatehouse.frontend.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.frontend.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.http.JsonBodies;
import dev.gatehouse.frontend.http.RequestIdFilter;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.frontend.errors.ApiException;
import dev.gatehouse.registry.Durations;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tasks.TaskRecord;
import dev.gatehouse.registry.tasks.TaskStatus;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.pipeline.InvalidPipelineException;
import dev.gatehouse.workflows.pipeline.PipelineInput;
import dev.gatehouse.workflows.pipeline.PipelineStep;
import dev.gatehouse.workflows.pipeline.PipelineValidator;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import dev.gatehouse.workflows.tool.ToolCallInput;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallWorkflow;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The durable task API behind {@link TasksResource}: submit validates everything before a
 * workflow starts; reads combine Gatehouse's task index (ownership, listing) with the workflow
 * (status, result), and repair the index when it lags behind.
 */
public class TaskService {
  private static final int MAX_IDEMPOTENCY_KEY = 200;

  private final TaskIndexDao index;
  private final ToolCatalog tools;
  private final WorkflowClient client;
  private final String taskQueue;
  private final Duration defaultTimeout;
  private final GatehouseMetrics metrics;
  private final AuditLog audit;
  private final JsonBodies bodies;
  private final TraceBuilder traces;

  public TaskService(
      Jdbi jdbi,
      ToolCatalog tools,
      WorkflowClient client,
      String taskQueue,
      Duration defaultTimeout,
      GatehouseMetrics metrics,
      AuditLog audit,
      JsonBodies bodies) {
    this.audit = audit;
    this.bodies = bodies;
    this.index = jdbi.onDemand(TaskIndexDao.class);
    this.tools = tools;
    this.client = client;
    this.taskQueue = taskQueue;
    this.defaultTimeout = defaultTimeout;
    this.metrics = metrics;
    this.traces = new TraceBuilder(client.getOptions().getDataConverter());
  }

  /** What a submit answers: the task, and whether this call created it. */
  public record Submitted(String id, TaskStatus status, boolean created) {}

  public Submitted submit(AgentCaller caller, JsonNode body, String idempotencyKey) {
    Agent agent = caller.agent();
    TaskSubmission submission = bodies.convert(body, TaskSubmission.class);
    String workflow = submission.workflow() == null ? "" : submission.workflow();
    if (!workflow.equals(PipelineWorkflow.TYPE)) {
      throw new ApiException(422, "unknown_workflow", "unknown workflow '" + workflow + "'; known: pipeline");
    }
    Decision mayRun = AccessPolicy.workflow(agent.permissions(), caller.scopes(), workflow);
    if (!mayRun.allowed()) {
      throw denied(caller, "task.submit", workflow, mayRun);
    }
    if (submission.pipeline() == null) {
      throw ApiException.badRequest("invalid_request", "a pipeline task needs a 'pipeline' with 'steps'");
    }
    try {
      PipelineValidator.validate(submission.pipeline());
    } catch (InvalidPipelineException e) {
      throw ApiException.badRequest(e.code(), e.getMessage());
    }
    Duration timeout = timeout(submission.timeout());
    Map<String, ToolCallPolicy> policies = new LinkedHashMap<>();
    for (PipelineStep step : submission.pipeline().steps()) {
      if (!policies.containsKey(step.tool())) {
        ToolDefinition tool =
            tools
                .find(step.tool())
                .filter(t -> t.tenantId() == null || t.tenantId().equals(agent.tenantId()))
                .orElseThrow(
                    () ->
                        new ApiException(
                            422, "unknown_tool", "step '" + step.id() + "' names unknown tool '" + step.tool() + "'"));
        Decision mayUse = AccessPolicy.tool(agent.permissions(), caller.scopes(), tool.name());
        if (!mayUse.allowed()) {
          throw denied(caller, "task.submit", tool.name(), mayUse);
        }
        policies.put(tool.name(), policyOf(tool));
      }
    }
    JsonNode input = submission.input() == null ? JsonNodeFactory.instance.objectNode() : submission.input();
    PipelineInput workflowInput =
        new PipelineInput(
            input, submission.pipeline(), policies, new Caller(agent.tenantId(), agent.id(), caller.scopes()));

    String requestHash = sha256(body.toString());
    String id = taskId(agent.id(), idempotencyKey);
    if (!index.insert(id, agent.tenantId(), agent.id(), workflow, idempotencyKey, requestHash)) {
      TaskRecord existing = index.find(id).orElseThrow();
      if (!requestHash.equals(existing.requestHash())) {
        throw new ApiException(
            409, "idempotency_key_reused", "this Idempotency-Key was used with a different request");
      }
      return new Submitted(id, existing.status(), false);
    }
    WorkflowOptions options =
        WorkflowOptions.newBuilder()
            .setWorkflowId(id)
            .setTaskQueue(taskQueue)
            .setWorkflowRunTimeout(timeout)
            .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .build();
    try {
      client.newUntypedWorkflowStub(PipelineWorkflow.TYPE, options).start(workflowInput);
    } catch (WorkflowExecutionAlreadyStarted alreadyStarted) {
      return new Submitted(id, TaskStatus.RUNNING, false);
    } catch (RuntimeException e) {
      index.deleteRunning(id);
      throw new ApiException(503, "engine_unavailable", "the workflow engine did not accept the task; retry later");
    }
    metrics.taskStarted(workflow);
    audit.record(event(caller, id, "task.submit", workflow, "allow", "ok", null, null));
    return new Submitted(id, TaskStatus.RUNNING, true);
  }

  /**
   * Starts a durable {@link ToolCallWorkflow} for one already-authorized tool call (the MCP face's
   * durable path). The same {@code Idempotency-Key} with the same call returns the same task; with
   * a different call it is refused. The task is listed and traced like any other.
   */
  public Submitted submitToolCall(
      AgentCaller caller, String tool, JsonNode args, ToolCallPolicy policy, String idempotencyKey) {
    Agent agent = caller.agent();
    ToolCallInput input = new ToolCallInput(tool, args, new Caller(agent.tenantId(), agent.id(), caller.scopes()), policy);
    String requestHash = sha256(ToolCallWorkflow.TYPE + "\n" + tool + "\n" + args);
    String id = taskId(agent.id(), idempotencyKey);
    if (!index.insert(id, agent.tenantId(), agent.id(), ToolCallWorkflow.TYPE, idempotencyKey, requestHash)) {
      TaskRecord existing = index.find(id).orElseThrow();
      if (!requestHash.equals(existing.requestHash())) {
        throw new ApiException(
            409, "idempotency_key_reused", "this Idempotency-Key was used with a different request");
      }
      return new Submitted(id, existing.status(), false);
    }
    long timeoutMillis = policy.timeoutMillis() + 2_000L;
    long waits = (long) Math.min(Math.max(1, policy.maxAttempts() - 1), 100) * Math.max(policy.maxIntervalMillis(), 1);
    WorkflowOptions options =
        WorkflowOptions.newBuilder()
            .setWorkflowId(id)
            .setTaskQueue(taskQueue)
            .setWorkflowRunTimeout(Duration.ofMillis(Math.max(60_000L, timeoutMillis * policy.maxAttempts() + waits + 60_000L)))
            .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .build();
    try {
      client.newUntypedWorkflowStub(ToolCallWorkflow.TYPE, options).start(input);
    } catch (WorkflowExecutionAlreadyStarted alreadyStarted) {
      return new Submitted(id, TaskStatus.RUNNING, false);
    } catch (RuntimeException e) {
      index.deleteRunning(id);
      throw new ApiException(503, "engine_unavailable", "the workflow engine did not accept the call; retry later");
    }
    metrics.taskStarted(ToolCallWorkflow.TYPE);
    audit.record(event(caller, id, "task.submit", ToolCallWorkflow.TYPE + ":" + tool, "allow", "ok", null, null));
    return new Submitted(id, TaskStatus.RUNNING, true);
  }

  public TaskView get(AgentCaller caller, String id, Duration wait) {
    TaskRecord row = owned(caller, id);
    Optional<TaskOutcomes.Outcome> outcome = outcome(id, wait.toMillis());
    if (outcome.isEmpty()) {
      return view(row, row.status(), null, errorOf(row), row.closedAt());
    }
    TaskOutcomes.Outcome o = outcome.get();
    repair(row, o);
    return view(row, o.status(), o.result(), o.error(), o.closedAt());
  }

  public TaskSummary.Page list(AgentCaller caller, String status, int limit, String cursor) {
    TaskStatus filter = null;
    if (status != null && !status.isBlank()) {
      try {
        filter = TaskStatus.valueOf(status.trim().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest(
            "invalid_request", "status must be one of RUNNING, COMPLETED, FAILED, CANCELED, TIMED_OUT");
      }
    }
    if (limit < 1 || limit > 200) {
      throw ApiException.badRequest("invalid_request", "limit must be between 1 and 200");
    }
    TaskCursor after = TaskCursor.decode(cursor);
    var rows =
        index.page(
            caller.agent().id(),
            filter == null ? null : filter.name(),
            after == null ? null : after.createdAt(),
            after == null ? null : after.id(),
            limit + 1);
    boolean more = rows.size() > limit;
    var page = more ? rows.subList(0, limit) : rows;
    String next = more ? TaskCursor.encode(page.get(page.size() - 1)) : null;
    return new TaskSummary.Page(
        page.stream()
            .map(r -> new TaskSummary(r.id(), r.workflow(), r.status().name(), iso(r.createdAt()), iso(r.closedAt())))
            .toList(),
        next);
  }

  public TaskView cancel(AgentCaller caller, String id) {
    TaskRecord row = owned(caller, id);
    if (row.status().isClosed()) {
      throw new ApiException(409, "task_closed", "the task has already ended (" + row.status() + ")");
    }
    try {
      client.newUntypedWorkflowStub(id).cancel();
    } catch (WorkflowNotFoundException e) {
      get(caller, id, Duration.ZERO);
      throw new ApiException(409, "task_closed", "the task has already ended");
    }
    audit.record(event(caller, id, "task.cancel", row.workflow(), "allow", "ok", null, null));
    return view(row, TaskStatus.RUNNING, null, null, null);
  }

  public TraceView trace(AgentCaller caller, String id) {
    TaskRecord row = owned(caller, id);
    TaskView task = get(caller, id, Duration.ZERO);
    List<HistoryEvent> events;
    List<PendingActivityInfo> pending = List.of();
    try {
      events = client.fetchHistory(id).getEvents();
      if (!TaskStatus.valueOf(task.status()).isClosed()) {
        pending = client.newUntypedWorkflowStub(id).describe().getRawDescription().getPendingActivitiesList();
      }
    } catch (RuntimeException e) {
      throw new ApiException(
          404, "history_unavailable", "the workflow history of task '" + id + "' is no longer available");
    }
    return new TraceView(row.id(), row.workflow(), task.status(), traces.build(events, pending));
  }

  /** The index row, if this agent owns it; a foreign id answers exactly like a missing one. */
  TaskRecord owned(AgentCaller caller, String id) {
    return index
        .find(id)
        .filter(r -> r.agentId().equals(caller.agent().id()) && caller.agent().tenantId().equals(r.tenantId()))
        .orElseThrow(() -> ApiException.notFound("task_not_found", "no task '" + id + "'"));
  }

  private Optional<TaskOutcomes.Outcome> outcome(String id, long waitMillis) {
    try {
      return Optional.of(TaskOutcomes.read(client.newUntypedWorkflowStub(id), waitMillis));
    } catch (WorkflowNotFoundException e) {
      return Optional.empty();
    }
  }

  private void repair(TaskRecord row, TaskOutcomes.Outcome o) {
    // A workflow that completed, failed or was canceled recorded that itself (TaskIndexInterceptor)
    // before it closed, so a long poll that watched it close need not write again. Timeouts and
    // terminations, which no workflow code sees, and rows read after the fact (a lost record) are
    // repaired here.
    if (row.status() == TaskStatus.RUNNING && o.status().isClosed() && !o.recordedByWorkflow()) {
      String code = o.error() == null ? null : o.error().code();
      String message = o.error() == null ? null : o.error().message();
      if (index.close(row.id(), o.status().name(), code, message)) {
        metrics.taskFinished(row.workflow(), o.status().name());
      }
    }
  }

  private ApiException denied(AgentCaller caller, String action, String target, Decision d) {
    audit.record(event(caller, null, action, target, "deny", d.code(), d.policy(), d.reason()));
    return new ApiException(403, d.code(), d.reason());
  }

  private static AuditEvent event(
      AgentCaller caller, String taskId, String action, String target, String decision, String outcome,
      String policy, String detail) {
    return new AuditEvent(
        java.time.Instant.now(), caller.agent().tenantId(), caller.agent().id(), caller.credential(),
        org.slf4j.MDC.get(RequestIdFilter.MDC_KEY), taskId, action, target, decision, outcome, null,
        policy == null ? AccessPolicy.NAME : policy, detail);
  }

  private Duration timeout(String text) {
    if (text == null) {
      return defaultTimeout;
    }
    try {
      Duration d = Durations.parse(text);
      if (d.isZero()) {
        throw new IllegalArgumentException("timeout must be positive");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_request", "timeout: " + e.getMessage());
    }
  }

  public static ToolCallPolicy policyOf(ToolDefinition tool) {
    return new ToolCallPolicy(
        tool.timeout().toMillis(),
        tool.retry().maxAttempts(),
        tool.retry().initialInterval().toMillis(),
        tool.retry().backoff(),
        tool.retry().maxInterval().toMillis());
  }

  /** A new random id, or (with an idempotency key) one derived from the agent and the key. */
  static String taskId(String agent, String idempotencyKey) {
    if (idempotencyKey == null) {
      return "task_" + UUID.randomUUID().toString().replace("-", "");
    }
    if (idempotencyKey.isBlank()
        || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY
        || !idempotencyKey.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw ApiException.badRequest(
          "invalid_request", "Idempotency-Key must be 1-200 visible ASCII characters");
    }
    return "task_" + sha256(agent + "\n" + idempotencyKey).substring(0, 32);
  }

  private static TaskView view(
      TaskRecord row, TaskStatus status, JsonNode result, TaskView.TaskError error, java.time.Instant closedAt) {
    return new TaskView(row.id(), row.workflow(), status.name(), result, error, iso(row.createdAt()),
        status.isClosed() ? iso(closedAt != null ? closedAt : row.closedAt()) : null);
  }

  private static TaskView.TaskError errorOf(TaskRecord row) {
    return row.errorCode() == null ? null : new TaskView.TaskError(row.errorCode(), row.errorMessage(), null);
  }

  static String iso(java.time.Instant t) {
    return t == null ? null : t.toString();
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
