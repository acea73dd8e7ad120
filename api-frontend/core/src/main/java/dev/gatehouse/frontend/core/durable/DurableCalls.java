package dev.gatehouse.frontend.core.durable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.task.ApprovalAuditImpl;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.RequestIdFilter;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tasks.TaskRecord;
import dev.gatehouse.registry.tasks.TaskStatus;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.approval.ApprovalAudit;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallInput;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolCallWorkflow;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Durable calls as every face needs them: start a workflow for an agent (a task, with its row in
 * Gatehouse's task index, exactly once per {@code Idempotency-Key}), read how it ended or wait for
 * it, read its progress and history, and cancel it. The task id is the workflow id. Reads repair
 * the index when it lags behind the workflow (a timeout or termination no workflow code sees).
 */
public final class DurableCalls {
  private static final Logger LOG = LoggerFactory.getLogger(DurableCalls.class);
  private static final int MAX_IDEMPOTENCY_KEY = 200;
  private static final Duration MAX_DEADLINE = Duration.ofDays(365L * 100);

  private final TaskIndexDao index;
  private final WorkflowClient client;
  private final String taskQueue;
  private final GatehouseMetrics metrics;
  private final AuditLog audit;
  private final TraceBuilder traces;
  private final Admission admission;
  private final HistoryArchive archive;
  /** The longest an operator's decision waits for a worker to take it. */
  public static final Duration DECISION_WAIT = Duration.ofSeconds(15);
  /** Ends the gRPC contexts that bound a decision's wait (a daemon thread; it only fires deadlines). */
  private static final java.util.concurrent.ScheduledExecutorService DEADLINES =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-decision-deadlines");
        t.setDaemon(true);
        return t;
      });

  public DurableCalls(
      Jdbi jdbi, WorkflowClient client, String taskQueue, GatehouseMetrics metrics, AuditLog audit, Admission admission) {
    this.index = jdbi.onDemand(TaskIndexDao.class);
    this.client = client;
    this.taskQueue = taskQueue;
    this.metrics = metrics;
    this.audit = audit;
    this.traces = new TraceBuilder(client.getOptions().getDataConverter());
    this.admission = admission;
    this.archive = new HistoryArchive(jdbi, this, metrics);
  }

  /** The archive of ended tasks' histories in PostgreSQL. */
  public HistoryArchive archive() {
    return archive;
  }

  /**
   * Every run of task {@code id}'s workflow, from the first, following continue-as-new (at most
   * {@code maxRuns}: the last ones). Throws what the engine throws when it does not know the task.
   */
  List<HistoryArchive.Run> runs(String id, int maxRuns) {
    java.util.ArrayDeque<HistoryArchive.Run> runs = new java.util.ArrayDeque<>();
    String runId = firstRunId(id);
    while (runId != null) {
      List<HistoryEvent> events = runHistory(id, runId);
      runs.addLast(new HistoryArchive.Run(runId, events));
      if (runs.size() > maxRuns) {
        runs.removeFirst();
      }
      HistoryEvent last = events.isEmpty() ? null : events.get(events.size() - 1);
      runId =
          last != null && last.hasWorkflowExecutionContinuedAsNewEventAttributes()
              ? last.getWorkflowExecutionContinuedAsNewEventAttributes().getNewExecutionRunId()
              : null;
    }
    return new ArrayList<>(runs);
  }

  /** A started (or, with a reused key, an earlier) task, and whether this call created it. */
  public record Started(String id, TaskStatus status, boolean created) {}

  /** What to start: the workflow type and its one argument, how long it may run, what the audit row names. */
  public record Start(String workflowType, Object input, Duration runTimeout, String auditTarget) {}

  /**
   * Starts {@code start} for the agent. With an {@code Idempotency-Key} the task id is derived from
   * the agent and the key, so the same request again returns the same task ({@code created}
   * false); the same key with another request ({@code requestHash} differs) is refused with 409
   * {@code idempotency_key_reused}. A new task must pass {@link Admission} (429 {@code overloaded}
   * otherwise); one accepted earlier is returned whatever the load. Nothing is left behind when
   * the task is refused or the engine refuses the start.
   */
  public Started start(AgentCaller caller, Start start, String requestHash, String idempotencyKey) {
    var agent = caller.agent();
    String id = taskId(agent.id(), idempotencyKey);
    if (idempotencyKey != null) {
      Optional<TaskRecord> earlier = index.find(id);
      if (earlier.isPresent()) {
        return existing(earlier.get(), requestHash);
      }
    }
    try (Admission.Permit starting = admission.startPermit()) {
      if (!index.insert(id, agent.tenantId(), agent.id(), start.workflowType(), idempotencyKey, requestHash, deadline(start.runTimeout()))) {
        return existing(index.find(id).orElseThrow(), requestHash);
      }
      try {
        admission.checkOpenTasks(agent.tenantId());
      } catch (ApiException refused) {
        index.deleteRunning(id);
        throw refused;
      }
      return startWorkflow(caller, start, id);
    }
  }

  private static Started existing(TaskRecord existing, String requestHash) {
    if (!requestHash.equals(existing.requestHash())) {
      throw new ApiException(ErrorCode.IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used with a different request");
    }
    return new Started(existing.id(), existing.status(), false);
  }

  /** When the run timeout ends the task (capped, so a far-off one still fits a timestamp). */
  private static Instant deadline(Duration runTimeout) {
    Duration capped = runTimeout.compareTo(MAX_DEADLINE) > 0 ? MAX_DEADLINE : runTimeout;
    return Instant.now().plus(capped);
  }

  private Started startWorkflow(AgentCaller caller, Start start, String id) {
    WorkflowOptions options =
        WorkflowOptions.newBuilder()
            .setWorkflowId(id)
            .setTaskQueue(taskQueue)
            // The whole execution, not one run: a workflow that continues as new (the agent loop,
            // a team's) would otherwise start its timeout again with each run and never time out.
            .setWorkflowExecutionTimeout(start.runTimeout())
            .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .build();
    try {
      client.newUntypedWorkflowStub(start.workflowType(), options).start(start.input());
    } catch (WorkflowExecutionAlreadyStarted alreadyStarted) {
      return new Started(id, TaskStatus.RUNNING, false);
    } catch (RuntimeException e) {
      index.deleteRunning(id);
      throw new ApiException(ErrorCode.ENGINE_UNAVAILABLE, "the workflow engine did not accept the task; retry later");
    }
    metrics.taskStarted(start.workflowType());
    audited(caller, id, "task.submit", start.auditTarget());
    return new Started(id, TaskStatus.RUNNING, true);
  }

  /**
   * Starts a durable {@link ToolCallWorkflow} for one already-authorized tool call. The task is
   * listed and traced like any other; it may run as long as the policy's attempts can take.
   */
  public Started startToolCall(
      AgentCaller caller, String tool, JsonNode args, ToolCallPolicy policy, String idempotencyKey) {
    var agent = caller.agent();
    ToolCallInput input = new ToolCallInput(tool, args, new Caller(agent.tenantId(), agent.id(), caller.scopes()), policy);
    long timeoutMillis = policy.timeoutMillis() + 2_000L;
    long waits = (long) Math.min(Math.max(1, policy.maxAttempts() - 1), 100) * Math.max(policy.maxIntervalMillis(), 1);
    Duration runTimeout = Duration.ofMillis(Math.max(60_000L, timeoutMillis * policy.maxAttempts() + waits + 60_000L));
    return start(
        caller,
        new Start(ToolCallWorkflow.TYPE, input, runTimeout, ToolCallWorkflow.TYPE + ":" + tool),
        sha256(ToolCallWorkflow.TYPE + "\n" + tool + "\n" + args),
        idempotencyKey);
  }

  /** The index row, if this agent owns it; a foreign id answers exactly like a missing one. */
  public TaskRecord owned(AgentCaller caller, String id) {
    return index
        .find(id)
        .filter(r -> r.agentId().equals(caller.agent().id()) && caller.agent().tenantId().equals(r.tenantId()))
        .orElseThrow(() -> new ApiException(ErrorCode.TASK_NOT_FOUND, "no task '" + id + "'"));
  }

  /**
   * How the task's workflow stands now, or after up to {@code wait} if it is still running; when
   * the engine no longer knows it (its retention passed, or dev mode restarted), a completed task's
   * result from its archived history; else empty (the index row is then all there is).
   */
  public Optional<TaskOutcomes.Outcome> outcome(TaskRecord row, Duration wait) {
    TaskOutcomes.Outcome o;
    try {
      o = TaskOutcomes.read(client.newUntypedWorkflowStub(row.id()), wait.toMillis());
    } catch (WorkflowNotFoundException e) {
      if (row.status() != TaskStatus.COMPLETED) {
        return Optional.empty();
      }
      // A completed task's GET said "result": null once the engine had let it go.
      return archive.load(row.id())
          .flatMap(runs -> TaskOutcomes.archivedResult(runs, client.getOptions().getDataConverter()))
          .map(result -> new TaskOutcomes.Outcome(TaskStatus.COMPLETED, result, null, row.closedAt(), false));
    }
    repair(row, o);
    return Optional.of(o);
  }

  private CompletableFuture<ToolCallResult> toolCallResult(String id, Duration wait) {
    return client.newUntypedWorkflowStub(id).getResultAsync(wait.toMillis(), TimeUnit.MILLISECONDS, ToolCallResult.class);
  }

  /**
   * Waits for a tool-call task's result, for at most {@code max}, or until {@code cancelled}
   * completes (the caller gave up: the answer no longer matters). While it waits and {@code
   * progress} is not null, the tool's progress is read every {@code poll} and each new report is
   * handed to {@code progress}.
   *
   * <p>When the engine does not know the task's workflow: while its index row is running, the
   * workflow is being started (another request with the same {@code Idempotency-Key} inserted the
   * row and starts it), and the result is asked for again shortly; once the row has ended, the
   * engine let the workflow go (dev mode restarted, its retention passed), and a completed task's
   * result comes from its archived history; with no row left, the start failed.
   *
   * @throws TimeoutException the task is still running after {@code max}
   * @throws CancellationException {@code cancelled} completed first
   * @throws io.temporal.client.WorkflowFailedException the task failed (its cause says how)
   * @throws ToolCallGone the engine no longer has the task, which ended without a result to give
   * @throws ApiException {@code engine_unavailable}: the task's start failed
   */
  public ToolCallResult awaitToolCall(
      String id, Duration max, CompletableFuture<?> cancelled, Duration poll, Consumer<ToolProgress> progress)
      throws TimeoutException {
    CompletableFuture<ToolCallResult> pending = toolCallResult(id, max);
    long deadline = System.nanoTime() + max.toNanos();
    CompletableFuture<Object> either = CompletableFuture.anyOf(pending, cancelled);
    ToolProgress last = null;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException();
      }
      long slice = progress == null ? left : Math.min(left, poll.toNanos());
      try {
        either.get(slice, TimeUnit.NANOSECONDS);
      } catch (TimeoutException stillRunning) {
        ToolProgress now = progress == null ? null : progress(id).orElse(null);
        if (now != null && !now.equals(last)) {
          last = now;
          progress.accept(now);
        }
        continue;
      } catch (ExecutionException | CompletionException e) {
        // the result failed: read below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiException(ErrorCode.INTERRUPTED, "Gatehouse is shutting down");
      }
      if (cancelled.isDone()) {
        throw new CancellationException();
      }
      try {
        return pending.join();
      } catch (CompletionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof TimeoutException te) {
          throw te;
        }
        if (!(cause instanceof WorkflowNotFoundException)) {
          throw cause instanceof RuntimeException re ? re : e;
        }
      }
      ToolCallResult kept = withoutWorkflow(id);
      if (kept != null) {
        return kept;
      }
      try {
        Thread.sleep(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()), STARTING_POLL_MILLIS)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiException(ErrorCode.INTERRUPTED, "Gatehouse is shutting down");
      }
      pending = toolCallResult(id, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      either = CompletableFuture.anyOf(pending, cancelled);
    }
  }

  /** How often a request waits again for a workflow another request is starting. */
  private static final long STARTING_POLL_MILLIS = 50;

  /**
   * A tool-call task the engine has no workflow for ({@link #awaitToolCall}): null while its row
   * is running (its workflow is being started); its archived result once it has completed.
   */
  private ToolCallResult withoutWorkflow(String id) {
    TaskRecord row =
        index.find(id).orElseThrow(() -> new ApiException(ErrorCode.ENGINE_UNAVAILABLE, "the workflow engine did not accept the task; retry later"));
    if (row.status() == TaskStatus.RUNNING) {
      return null;
    }
    if (row.status() == TaskStatus.COMPLETED) {
      Optional<ToolCallResult> result =
          archive.load(id).flatMap(runs -> TaskOutcomes.archivedResult(runs, client.getOptions().getDataConverter(), ToolCallResult.class));
      if (result.isPresent()) {
        return result.get();
      }
    }
    throw new ToolCallGone(row);
  }

  /**
   * A tool-call task whose workflow the engine no longer has (dev mode restarted, its retention
   * passed) and that left no result to give: its index row says how it ended.
   */
  public static final class ToolCallGone extends RuntimeException {
    private final TaskRecord row;

    ToolCallGone(TaskRecord row) {
      super("task " + row.id() + " ended " + row.status(), null, false, false);
      this.row = row;
    }

    public TaskRecord row() {
      return row;
    }
  }

  /**
   * Asks the engine to cancel the task; the workflow decides how it ends. The request is recorded
   * in the task index first, so a workflow that cannot process it (one whose workflow task keeps
   * failing) is still ended: {@link TaskSweeper} terminates it once the grace period has passed,
   * even across a restart. Throws {@link WorkflowNotFoundException} when the engine no longer
   * knows the task.
   */
  public void cancel(String id) {
    index.requestCancel(id);
    client.newUntypedWorkflowStub(id).cancel();
  }

  /**
   * Ends a task whose cancellation was asked for and that is still running: terminates its
   * workflow (the reason begins with {@link TaskOutcomes#CANCEL_NOT_PROCESSED}, so reads show it
   * {@code CANCELED}) and records it CANCELED. A task that ended meanwhile is recorded as it ended.
   */
  void endCanceled(TaskRecord row) {
    WorkflowStub stub = client.newUntypedWorkflowStub(row.id());
    try {
      if (stub.describe().getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        stub.terminate(TaskOutcomes.CANCEL_NOT_PROCESSED + " within the grace period after the cancel request");
        LOG.warn("task {} did not end after its cancel request; its workflow was terminated", row.id());
      }
    } catch (WorkflowNotFoundException gone) {
      closeAs(row, TaskStatus.CANCELED, ErrorCode.CANCELED.code(), "the task was canceled", Instant.now());
      return;
    }
    reconcile(row);
  }

  /**
   * Brings a running row in line with its workflow when the workflow has closed (with its real
   * close time); a workflow the engine no longer knows is recorded TIMED_OUT at its deadline,
   * when the deadline has passed. A workflow still running {@link #DEADLINE_GRACE} past the
   * task's deadline is terminated and recorded TIMED_OUT: the engine times out a whole execution,
   * but the embedded test server of dev mode starts the timeout again with each run of a workflow
   * that continues as new (the agent loop, a team's), and a task's timeout must hold on either.
   * Returns true when the row was closed.
   */
  boolean reconcile(TaskRecord row) {
    TaskOutcomes.Outcome o;
    WorkflowStub stub = client.newUntypedWorkflowStub(row.id());
    try {
      o = TaskOutcomes.read(stub, 0);
      if (o.status() == TaskStatus.RUNNING && row.deadline() != null && row.deadline().plus(DEADLINE_GRACE).isBefore(Instant.now())) {
        try {
          stub.terminate(TaskOutcomes.PAST_DEADLINE + " (" + row.deadline() + ")");
          LOG.warn("task {} was still running past its timeout; its workflow was terminated", row.id());
        } catch (RuntimeException closedMeanwhile) {
          LOG.debug("task {} past its timeout could not be terminated: {}", row.id(), closedMeanwhile.toString());
        }
        o = TaskOutcomes.read(stub, 0);
      }
    } catch (WorkflowNotFoundException gone) {
      return row.deadline() != null
          && row.deadline().isBefore(Instant.now())
          && closeAs(row, TaskStatus.TIMED_OUT, ErrorCode.TIMED_OUT.code(), "the task ran past its timeout", row.deadline());
    }
    repair(row, o);
    return o.status().isClosed();
  }

  /**
   * Settles a row still recorded running whose deadline has passed ({@link #reconcile}): true when
   * it is closed now (the engine ended it, which tells no workflow code). A cancel asks this
   * first, so a task that timed out is not answered 202 and audited as cancelled.
   */
  public boolean settledAsOverdue(TaskRecord row) {
    if (row.status().isClosed() || row.deadline() == null || row.deadline().isAfter(Instant.now())) {
      return false;
    }
    try {
      return reconcile(row);
    } catch (RuntimeException e) {
      LOG.debug("could not reconcile task {}: {}", row.id(), e.toString());
      return false;
    }
  }

  /** How long past its deadline a task may still run before the sweep terminates it (the engine's own timeout should end it first). */
  static final Duration DEADLINE_GRACE = Duration.ofSeconds(2);

  /**
   * Reconciles this agent's running rows whose deadline has passed (at most {@code max}), so a
   * listing does not show as running a task that timed out.
   */
  public void reconcileOverdue(String agentId, int max) {
    for (TaskRecord row : index.overdue(agentId, max)) {
      try {
        reconcile(row);
      } catch (RuntimeException e) {
        LOG.debug("could not reconcile task {}: {}", row.id(), e.toString());
      }
    }
  }

  private boolean closeAs(TaskRecord row, TaskStatus status, String code, String message, Instant at) {
    boolean closed = index.closeAt(row.id(), status.name(), code, message, at);
    if (closed) {
      metrics.taskFinished(row.workflow(), status.name());
    }
    return closed;
  }

  /** Like {@link #cancel}, for a caller that has nothing to tell anyone when it cannot. */
  public void cancelQuietly(String id) {
    try {
      cancel(id);
    } catch (RuntimeException e) {
      LOG.debug("could not cancel task {}: {}", id, e.toString());
    }
  }

  /** The tool's latest progress report in a running task (its activity's heartbeat), if any. */
  public Optional<ToolProgress> progress(String id) {
    try {
      var response =
          client
              .getWorkflowServiceStubs()
              .blockingStub()
              .describeWorkflowExecution(
                  DescribeWorkflowExecutionRequest.newBuilder()
                      .setNamespace(client.getOptions().getNamespace())
                      .setExecution(WorkflowExecution.newBuilder().setWorkflowId(id))
                      .build());
      for (var activity : response.getPendingActivitiesList()) {
        if (activity.hasHeartbeatDetails()) {
          return Optional.ofNullable(
              client
                  .getOptions()
                  .getDataConverter()
                  .fromPayloads(0, Optional.of(activity.getHeartbeatDetails()), ToolProgress.class, ToolProgress.class));
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("could not read the progress of task {}: {}", id, e.toString());
    }
    return Optional.empty();
  }

  /** A task's steps, and where they were read: {@code engine} or {@code archive}. */
  public record Steps(List<TraceView.Step> steps, String source) {}

  /**
   * The task's steps from its workflow history: the engine's, or, once the engine has dropped it,
   * the archived one (every run of the workflow); 404 {@code history_unavailable} when neither has it.
   */
  public Steps steps(String id, boolean running) {
    try {
      List<HistoryEvent> events = client.fetchHistory(id).getEvents();
      List<PendingActivityInfo> pending =
          running ? client.newUntypedWorkflowStub(id).describe().getRawDescription().getPendingActivitiesList() : List.of();
      return new Steps(traces.build(events, pending), "engine");
    } catch (RuntimeException e) {
      Optional<List<HistoryArchive.Run>> archived = running ? Optional.empty() : archive.load(id);
      if (archived.isPresent()) {
        List<TraceView.Step> steps = new ArrayList<>();
        for (HistoryArchive.Run run : archived.get()) {
          steps.addAll(traces.build(run.events(), List.of()));
        }
        return new Steps(steps, "archive");
      }
      throw new ApiException(
          ErrorCode.HISTORY_UNAVAILABLE, "the workflow history of task '" + id + "' is no longer available");
    }
  }

  /**
   * Every event of run {@code runId} of task {@code id} so far, page after page. Throws {@code
   * io.grpc.StatusRuntimeException} (NOT_FOUND: no such run of this task).
   */
  public List<HistoryEvent> runHistory(String id, String runId) {
    List<HistoryEvent> events = new ArrayList<>();
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      var response = historyPage(id, runId, token, 0);
      events.addAll(response.getHistory().getEventsList());
      token = response.getNextPageToken();
    } while (!token.isEmpty());
    return events;
  }

  /** One page of a run's history after {@code token}; {@code pageSize} 0: the engine's default. */
  private io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse historyPage(
      String id, String runId, com.google.protobuf.ByteString token, int pageSize) {
    return client
        .getWorkflowServiceStubs()
        .blockingStub()
        .getWorkflowExecutionHistory(
            io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest.newBuilder()
                .setNamespace(client.getOptions().getNamespace())
                .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(id).setRunId(runId))
                .setNextPageToken(token)
                .setMaximumPageSize(pageSize)
                .build());
  }

  /** How many events run {@code runId} of task {@code id} has now (cheap: the engine's description, not the history). */
  public long historyLength(String id, String runId) {
    return client
        .newUntypedWorkflowStub(id, Optional.of(runId), Optional.empty())
        .describe()
        .getRawDescription()
        .getWorkflowExecutionInfo()
        .getHistoryLength();
  }

  /** The id of the first run of task {@code id} (the one its submit started, before any continue-as-new). */
  public String firstRunId(String id) {
    var execution = client.newUntypedWorkflowStub(id).describe().getRawDescription().getWorkflowExecutionInfo();
    String runId = execution.getExecution().getRunId();
    if (!execution.getFirstRunId().isEmpty()) {
      return execution.getFirstRunId();
    }
    // Only the run's first event is needed (an engine may still send a whole page).
    List<HistoryEvent> events = historyPage(id, runId, com.google.protobuf.ByteString.EMPTY, 1).getHistory().getEventsList();
    if (!events.isEmpty() && events.get(0).hasWorkflowExecutionStartedEventAttributes()) {
      String firstRun = events.get(0).getWorkflowExecutionStartedEventAttributes().getFirstExecutionRunId();
      if (!firstRun.isEmpty()) {
        return firstRun;
      }
    }
    return runId;
  }

  /**
   * The calls of {@code row}'s task that wait for (or had) an operator's decision, each {@code
   * expiresAt} no later than the task's own deadline: a call cannot wait past the task, and a
   * day's default wait showed an operator a day where the task had seconds left.
   */
  public List<dev.gatehouse.workflows.approval.Approvals.Call> approvals(TaskRecord row) {
    List<dev.gatehouse.workflows.approval.Approvals.Call> calls = approvals(row.id());
    Instant deadline = row.deadline();
    if (deadline == null || calls.isEmpty()) {
      return calls;
    }
    return calls.stream().map(c -> c.expiringBy(deadline)).toList();
  }

  /**
   * The calls of a task's current run that needed approval, as the workflow's memo says
   * (read from the engine's description, so no worker needs to be up; empty when it cannot be read).
   */
  public List<dev.gatehouse.workflows.approval.Approvals.Call> approvals(String id) {
    try {
      return approvalsInMemo(client.newUntypedWorkflowStub(id).describe().getRawDescription().getWorkflowExecutionInfo());
    } catch (RuntimeException e) {
      LOG.debug("could not read the approvals of task {}: {}", id, e.toString());
      return List.of();
    }
  }

  /**
   * False once the engine has let the task's workflow go (its retention passed, dev mode
   * restarted); true while it has it, and when that cannot be told (the engine did not answer).
   */
  public boolean engineHas(String id) {
    try {
      client.newUntypedWorkflowStub(id).describe();
      return true;
    } catch (WorkflowNotFoundException e) {
      return false;
    } catch (RuntimeException e) {
      LOG.debug("could not describe task {}: {}", id, e.toString());
      return true;
    }
  }

  private List<dev.gatehouse.workflows.approval.Approvals.Call> approvalsInMemo(WorkflowExecutionInfo execution) {
    var payload = execution.getMemo().getFieldsMap().get(dev.gatehouse.workflows.approval.Approvals.PENDING);
    if (payload == null) {
      return List.of();
    }
    var calls =
        client.getOptions().getDataConverter()
            .fromPayload(payload, dev.gatehouse.workflows.approval.Approvals.Call[].class, dev.gatehouse.workflows.approval.Approvals.Call[].class);
    return java.util.Arrays.stream(calls).map(DurableCalls::visiblePreview).toList();
  }

  /**
   * {@code call} with every unprintable character of its preview ({@link
   * dev.gatehouse.activities.text.Unprintables}) written as {@code \\uXXXX}: a model's arguments
   * with a right-to-left override showed an operator {@code j.smith exe.png} for {@code j.smith
   * gnp.exe}.
   */
  static dev.gatehouse.workflows.approval.Approvals.Call visiblePreview(dev.gatehouse.workflows.approval.Approvals.Call call) {
    return dev.gatehouse.activities.text.Unprintables.in(call.preview())
        ? call.withPreview(dev.gatehouse.activities.text.Unprintables.escaped(call.preview()))
        : call;
  }

  /**
   * The whole arguments of call {@code callId} of task {@code id}, from the workflow (a query):
   * what the call's {@code argumentsSha256} is of. 404 {@code approval_not_found} when the task has
   * no such call; 409 {@code task_closed} when the engine no longer has the task.
   */
  public com.fasterxml.jackson.databind.JsonNode approvalArguments(String id, String callId) {
    com.fasterxml.jackson.databind.JsonNode args;
    try {
      args = client.newUntypedWorkflowStub(id)
          .query(dev.gatehouse.workflows.approval.Approvals.ARGUMENTS, com.fasterxml.jackson.databind.JsonNode.class, callId);
    } catch (WorkflowNotFoundException e) {
      throw new ApiException(ErrorCode.TASK_CLOSED, "the task has ended and the engine no longer has it");
    } catch (io.temporal.client.WorkflowQueryException | io.temporal.client.WorkflowServiceException e) {
      LOG.debug("could not query the arguments of call {} of task {}: {}", callId, id, e.toString());
      throw queryRefused(e);
    }
    if (args == null || args.isNull()) {
      throw new ApiException(ErrorCode.APPROVAL_NOT_FOUND, "no call of this task was held for approval under that id");
    }
    return args;
  }

  /**
   * The answer to a query of a task's workflow that the engine did not answer: 503 {@code
   * engine_unavailable} when no worker answered in time (a query is answered by a worker: with none
   * running, the engine waits for one and gives up), else 409 {@code task_closed}.
   */
  static ApiException queryRefused(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.grpc.StatusRuntimeException s && s.getStatus().getCode() == io.grpc.Status.Code.DEADLINE_EXCEEDED) {
        return new ApiException(
            ErrorCode.ENGINE_UNAVAILABLE, "no worker answered for the task in time; is a worker running for its task queue?");
      }
    }
    return new ApiException(ErrorCode.TASK_CLOSED, "the task could not be asked for the call's arguments; it may have ended");
  }

  /**
   * An operator's decision on a call of task {@code id} (an agent task, or a team's workflow
   * that holds calls for approval). Refusals are 4xx with the
   * workflow's code ({@code approval_not_found}, {@code approval_decided}, {@code
   * approval_expired}, {@code approval_mismatch}); a task that has ended is 409 {@code task_closed}.
   */
  public dev.gatehouse.workflows.approval.Approvals.Call decide(String id, dev.gatehouse.workflows.approval.Approvals.Decision decision) {
    io.grpc.Context.CancellableContext bounded =
        io.grpc.Context.current().withDeadlineAfter(DECISION_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS, DEADLINES);
    try {
      // Untyped: the agent loop and teams' workflows (through the SPI's Governed) take the same update.
      // A worker takes an update: with none running the engine keeps it waiting (the SDK asks again
      // each minute, for as long as it takes), so the request's gRPC context bounds the wait. The
      // engine may still hand the update to a worker that comes later; its id is the decision's own,
      // so the same decision sent again is that update (its outcome), not a second one refused as
      // approval_decided.
      io.temporal.client.UpdateOptions<dev.gatehouse.workflows.approval.Approvals.Call> update =
          io.temporal.client.UpdateOptions.newBuilder(dev.gatehouse.workflows.approval.Approvals.Call.class)
              .setUpdateName(dev.gatehouse.workflows.approval.Approvals.DECIDE)
              .setUpdateId(updateId(decision))
              .setWaitForStage(io.temporal.client.WorkflowUpdateStage.COMPLETED)
              .build();
      return visiblePreview(bounded.call(() -> client.newUntypedWorkflowStub(id).startUpdate(update, decision).getResult()));
    } catch (io.temporal.client.WorkflowUpdateTimeoutOrCancelledException e) {
      LOG.debug("no worker took a decision for task {} in {}: {}", id, DECISION_WAIT, e.toString());
      throw new ApiException(
          ErrorCode.ENGINE_UNAVAILABLE,
          "no worker took the decision within " + DECISION_WAIT.toSeconds() + " s; is a worker running for the task's queue? "
              + "The engine may still hand it to one that comes: read the approval before deciding again");
    } catch (io.temporal.client.WorkflowUpdateException e) {
      String message = e.getCause() instanceof io.temporal.failure.ApplicationFailure af ? af.getOriginalMessage() : null;
      String code = dev.gatehouse.workflows.approval.Approvals.codeOf(message);
      ErrorCode error = code == null ? null : ErrorCode.ofCode(code).orElse(null);
      if (error == null) {
        LOG.warn("task {} refused a decision for no reason of ours: {}", id, e.toString());
        throw new ApiException(ErrorCode.TASK_CLOSED, "the task could not take the decision; it may have ended");
      }
      throw new ApiException(error, dev.gatehouse.workflows.approval.Approvals.reasonOf(message));
    } catch (WorkflowNotFoundException e) {
      throw new ApiException(ErrorCode.TASK_CLOSED, "the task has ended");
    } catch (io.temporal.client.WorkflowServiceException e) {
      if (e.getCause() instanceof io.grpc.StatusRuntimeException s && s.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
        throw new ApiException(ErrorCode.TASK_CLOSED, "the task has ended");
      }
      if (deadlineExceeded(e)) {
        throw new ApiException(
            ErrorCode.ENGINE_UNAVAILABLE, "the engine did not answer within " + DECISION_WAIT.toSeconds() + " s; read the approval before deciding again");
      }
      throw e;
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      // Context.call declares Exception; the update throws only unchecked ones.
      throw new IllegalStateException(e);
    } finally {
      bounded.cancel(null);
    }
  }

  /**
   * The update id of {@code decision}: the same for the same decision (call, verdict, arguments'
   * hash, reason, decider and policy version), so the engine takes a decision sent again as the
   * one it may already hold.
   */
  static String updateId(dev.gatehouse.workflows.approval.Approvals.Decision decision) {
    StringBuilder parts = new StringBuilder();
    for (String part : new String[] {
        decision.callId(), decision.decision(), decision.argumentsSha256(), decision.reason(), decision.decidedBy(), decision.policyVersion()}) {
      // each part with its length (or -1 for none), so no two lists of parts read the same
      parts.append(part == null ? -1 : part.length()).append(':').append(part == null ? "" : part);
    }
    return "decision-" + sha256(parts.toString());
  }

  private static boolean deadlineExceeded(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.grpc.StatusRuntimeException s
          && (s.getStatus().getCode() == io.grpc.Status.Code.DEADLINE_EXCEEDED || s.getStatus().getCode() == io.grpc.Status.Code.CANCELLED)) {
        return true;
      }
    }
    return false;
  }

  /** A mapper of this engine's history to task events. */
  public TaskEvents events() {
    return new TaskEvents(client.getOptions().getDataConverter());
  }

  /** Records the agent's action on a task (submit, cancel) in the audit log. */
  public void audited(AgentCaller caller, String taskId, String action, String target) {
    audit.record(event(caller, taskId, action, target, "allow", "ok", null, null));
  }

  /** Records a policy's refusal of an agent's request in the audit log, and the error that answers it. */
  public ApiException denied(AgentCaller caller, String action, String target, Decision d) {
    audit.record(event(caller, null, action, target, "deny", d.code(), d.policy(), d.reason()));
    return new ApiException(ErrorCode.ofCode(d.code()).orElse(ErrorCode.FORBIDDEN), d.reason());
  }

  private void repair(TaskRecord row, TaskOutcomes.Outcome o) {
    // A workflow that completed, failed or was canceled recorded that itself (TaskIndexInterceptor)
    // before it closed, so a long poll that watched it close need not write again. Timeouts and
    // terminations, which no workflow code sees, and rows read after the fact (a lost record) are
    // repaired here.
    if (row.status() == TaskStatus.RUNNING && o.status().isClosed() && !o.recordedByWorkflow()) {
      String code = o.error() == null ? null : o.error().code();
      String message = o.error() == null ? null : o.error().message();
      if (closeAs(row, o.status(), code, message, o.closedAt() == null ? Instant.now() : o.closedAt())) {
        auditApprovalsLeft(row);
      }
    }
  }

  /**
   * The {@code task.approval.cancel} rows of the calls a task left waiting for approval when it
   * ended without workflow code to write them (its timeout, a termination): written by whoever
   * closed its row, keyed as the workflow keys its own, so a row the workflow wrote is not written
   * twice.
   */
  private void auditApprovalsLeft(TaskRecord row) {
    try {
      var execution = client.newUntypedWorkflowStub(row.id()).describe().getRawDescription().getWorkflowExecutionInfo();
      var pending = approvalsInMemo(execution).stream().filter(dev.gatehouse.workflows.approval.Approvals.Call::pending).toList();
      ApprovalAuditImpl.write(
          audit, ApprovalAudit.CANCELED, row.tenantId(), row.agentId(), row.id(), execution.getExecution().getRunId(), pending);
    } catch (RuntimeException e) {
      LOG.warn("could not audit the approvals task {} left waiting: {}", row.id(), e.toString());
    }
  }

  private static AuditEvent event(
      AgentCaller caller, String taskId, String action, String target, String decision, String outcome,
      String policy, String detail) {
    return new AuditEvent(
        Instant.now(), caller.agent().tenantId(), caller.agent().id(), caller.credential(),
        MDC.get(RequestIdFilter.MDC_KEY), taskId, action, target, decision, outcome, null,
        policy == null ? AccessPolicy.NAME : policy, detail);
  }

  /** The timeouts and retries a durable call of this HTTP tool runs with. */
  public static ToolCallPolicy policyOf(ToolDefinition tool) {
    return new ToolCallPolicy(
        tool.timeout().toMillis(),
        tool.retry().maxAttempts(),
        tool.retry().initialInterval().toMillis(),
        tool.retry().backoff(),
        tool.retry().maxInterval().toMillis());
  }

  /** The timeouts and retries a durable call of a tool of this MCP server runs with. */
  public static ToolCallPolicy policyOf(McpServerDefinition server) {
    var retry = server.retryOrDefault();
    return new ToolCallPolicy(
        server.timeoutOrDefault().toMillis(),
        retry.maxAttempts(),
        retry.initialInterval().toMillis(),
        retry.backoff(),
        retry.maxInterval().toMillis());
  }

  /**
   * The request's {@code Idempotency-Key} (null when none) from all the values it sent: a request
   * that sends the header twice is 400 {@code invalid_request} (which key would it be?), checked
   * before anything of it runs.
   */
  public static String idempotencyKey(List<String> values) {
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "send one Idempotency-Key header, not " + values.size());
    }
    return values.get(0);
  }

  /** A new random id, or (with an idempotency key) one derived from the agent and the key. */
  public static String taskId(String agent, String idempotencyKey) {
    if (idempotencyKey == null) {
      return "task_" + UUID.randomUUID().toString().replace("-", "");
    }
    if (idempotencyKey.isBlank()
        || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY
        || !idempotencyKey.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "Idempotency-Key must be 1-200 visible ASCII characters");
    }
    return "task_" + sha256(agent + "\n" + idempotencyKey).substring(0, 32);
  }

  public static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
