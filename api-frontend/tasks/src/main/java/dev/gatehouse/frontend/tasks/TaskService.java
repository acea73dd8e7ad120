package dev.gatehouse.frontend.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.core.admission.Shares;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.durable.HistoryArchive;
import dev.gatehouse.frontend.core.durable.Instants;
import dev.gatehouse.frontend.core.durable.TaskError;
import dev.gatehouse.frontend.core.durable.TaskOutcomes;
import dev.gatehouse.frontend.core.durable.TraceView;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.JsonBodies;
import dev.gatehouse.frontend.core.workflows.TaskSubmission;
import dev.gatehouse.frontend.core.workflows.TaskWorkflow;
import dev.gatehouse.frontend.core.workflows.WorkflowCatalog;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.registry.Durations;
import dev.gatehouse.registry.tasks.StoredText;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tasks.TaskRecord;
import dev.gatehouse.registry.tasks.TaskResultDao;
import dev.gatehouse.registry.tasks.TaskStatus;
import dev.gatehouse.workflows.pipeline.Expansion;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import dev.gatehouse.workflows.tool.ToolCallWorkflow;
import dev.gatehouse.workflows.tool.ToolResults;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.glassfish.jersey.server.ChunkedOutput;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable task API behind {@link TasksResource}: a submit names a workflow type of the
 * {@link WorkflowCatalog}, which checks it completely before anything starts; reads combine
 * Gatehouse's task index (ownership, listing) with the workflow (status, result).
 */
public class TaskService {
  /** The most overdue rows a listing settles before it reads; the sweeper handles any more. */
  private static final int OVERDUE_PER_LIST = 20;
  /** The most task event streams one replica serves at once (each holds a request thread). */
  static final int MAX_EVENT_STREAMS = 256;
  /** The most task event streams one agent has at once on one replica: its share of {@link #MAX_EVENT_STREAMS}. */
  static final int MAX_EVENT_STREAMS_PER_AGENT = 32;
  /**
   * The most task event streams one tenant's agents have at once on one replica: a tenant admin
   * may make any number of agents, so without it one tenant could hold every stream of the replica.
   */
  static final int MAX_EVENT_STREAMS_PER_TENANT = MAX_EVENT_STREAMS / 2;
  private static final Pattern EVENT_ID = Pattern.compile("([0-9A-Za-z-]{1,64}):(0|[1-9][0-9]{0,17})"); // as the stream writes it: no leading zeros

  private static final Logger LOG = LoggerFactory.getLogger(TaskService.class);
  private final Semaphore eventStreams = new Semaphore(MAX_EVENT_STREAMS);
  /** The most reads waiting for a task's end ({@code ?wait=}) one replica holds at once, unless set: each holds a request thread. */
  static final int MAX_WAITS = 512;
  /** The most such reads of one agent at once on one replica, unless set: its share of the replica's. */
  static final int MAX_WAITS_PER_AGENT = 64;
  /** The most such reads of one tenant's agents at once on one replica, unless set. */
  static final int MAX_WAITS_PER_TENANT = MAX_WAITS / 2;

  private int maxWaits = MAX_WAITS;
  private int maxWaitsPerAgent = MAX_WAITS_PER_AGENT;
  private int maxWaitsPerTenant = MAX_WAITS_PER_TENANT;
  private Semaphore waits = new Semaphore(MAX_WAITS);
  /** The waiting reads held, by agent id and by tenant id. */
  private final Shares waitsByAgent = new Shares();
  private final Shares waitsByTenant = new Shares();

  /**
   * A place for one read that waits for a task's end, given back by the answer; 429 {@code
   * overloaded} when the replica's, the tenant's share or the agent's are all taken. Without them
   * one agent's waiting reads (each holds a request thread up to a minute) took every thread of the
   * replica and every other tenant's requests timed out; without the tenant's share, one tenant's
   * many agents could still take every place of the replica.
   */
  private Runnable waitSlot(String tenantId, String agentId) {
    if (!waits.tryAcquire()) {
      throw overloaded("waits", maxWaits, "this replica holds " + maxWaits + " waiting reads already; retry, or read without wait");
    }
    if (!waitsByTenant.take(tenantId, maxWaitsPerTenant)) {
      waits.release();
      throw overloaded(
          "tenantWaits", maxWaitsPerTenant,
          "this tenant's agents have " + maxWaitsPerTenant + " reads waiting for tasks on this replica already; retry when one has answered");
    }
    if (!waitsByAgent.take(agentId, maxWaitsPerAgent)) {
      waitsByTenant.giveBack(tenantId);
      waits.release();
      throw overloaded(
          "agentWaits", maxWaitsPerAgent,
          "this agent has " + maxWaitsPerAgent + " reads waiting for tasks on this replica already; retry when one has answered");
    }
    java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        waitsByAgent.giveBack(agentId);
        waitsByTenant.giveBack(tenantId);
        waits.release();
      }
    };
  }

  /** How many event streams each tenant's agents have open (a tenant with none has no entry). */
  private final Shares streamsByTenant = new Shares();
  /** The slots of the open event streams, by agent id (an agent with none has no entry). */
  private final java.util.concurrent.ConcurrentHashMap<String, Set<StreamSlot>> streamsByAgent =
      new java.util.concurrent.ConcurrentHashMap<>();
  /** The threads that follow task histories for event streams (at most {@link #MAX_EVENT_STREAMS} at once). */
  private static final ExecutorService EVENT_THREADS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "task-events");
            t.setDaemon(true);
            return t;
          });

  private final DurableCalls durable;
  private final WorkflowCatalog workflows;
  private final TaskIndexDao index;
  private final TaskResultDao results;
  private final Duration defaultTimeout;
  private final JsonBodies bodies;
  private final Duration maxTimeout;
  private dev.gatehouse.activities.metrics.GatehouseMetrics refusals;

  public TaskService(Jdbi jdbi, DurableCalls durable, WorkflowCatalog workflows, Duration defaultTimeout, JsonBodies bodies) {
    this(jdbi, durable, workflows, defaultTimeout, bodies, Durations.MAX);
  }

  /** {@code maxTimeout}: the longest {@code timeout} a submit may ask for; a longer one is 400 {@code invalid_request}. */
  public TaskService(
      Jdbi jdbi, DurableCalls durable, WorkflowCatalog workflows, Duration defaultTimeout, JsonBodies bodies, Duration maxTimeout) {
    this.maxTimeout = maxTimeout;
    this.durable = durable;
    this.workflows = workflows;
    this.index = jdbi.onDemand(TaskIndexDao.class);
    this.results = jdbi.onDemand(TaskResultDao.class);
    this.defaultTimeout = defaultTimeout;
    this.bodies = bodies;
  }

  /** Sets how many reads waiting for a task's end the replica, one agent and one tenant on it, hold at once (before it serves any). */
  TaskService waitsAtMost(int replica, int perAgent, int perTenant) {
    this.maxWaits = replica;
    this.maxWaitsPerAgent = perAgent;
    this.maxWaitsPerTenant = perTenant;
    this.waits = new Semaphore(replica);
    return this;
  }

  /** Counts this service's admission refusals in {@code gatehouse_admission_refused_total}. */
  TaskService countingRefusals(dev.gatehouse.activities.metrics.GatehouseMetrics counter) {
    this.refusals = counter;
    return this;
  }

  /**
   * 429 {@code overloaded} for limit {@code limit} (of {@code max}), with {@code details} as
   * admission's refusals give them ({@code limit}, {@code max}, {@code retryAfter}) and counted as
   * theirs are.
   */
  private ApiException overloaded(String limit, int max, String message) {
    if (refusals != null) {
      refusals.admissionRefused(limit);
    }
    java.util.Map<String, Object> details = new java.util.LinkedHashMap<>();
    details.put("limit", limit);
    details.put("max", max);
    details.put("retryAfter", 1);
    return new ApiException(ErrorCode.OVERLOADED, message, java.util.Map.of("Retry-After", "1"), details);
  }

  /** The longest workflow type a submit may name (a longer one is not repeated in the refusal). */
  static final int MAX_WORKFLOW_NAME = 128;
  /**
   * The deepest a task's input may nest: it is held again inside the workflow's input, the task's
   * view and its trace, which must stay within the 1,000 levels JSON is written with.
   */
  static final int MAX_INPUT_DEPTH = 500;

  public DurableCalls.Started submit(AgentCaller caller, JsonNode body, String idempotencyKey) {
    TaskSubmission submission = bodies.convert(body, TaskSubmission.class);
    if (submission.workflow() == null) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST, "'workflow' is required: one of " + String.join(", ", workflows.types()));
    }
    String type = submission.workflow();
    if (type.length() > MAX_WORKFLOW_NAME) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'workflow' is at most " + MAX_WORKFLOW_NAME + " characters");
    }
    if (Expansion.depthOf(submission.input(), MAX_INPUT_DEPTH + 1) > MAX_INPUT_DEPTH) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'input' nests more than " + MAX_INPUT_DEPTH + " levels deep; at most " + MAX_INPUT_DEPTH + " are allowed");
    }
    TaskWorkflow workflow =
        workflows
            .find(type)
            .orElseThrow(
                () ->
                    new ApiException(
                        ErrorCode.UNKNOWN_WORKFLOW,
                        "unknown workflow '" + type + "'; known: " + String.join(", ", workflows.types())));
    Decision mayRun = AccessPolicy.workflow(caller.agent().permissions(), caller.scopes(), type);
    if (!mayRun.allowed()) {
      throw durable.denied(caller, "task.submit", type, mayRun);
    }
    DurableCalls.Start start = workflow.prepare(caller, submission, timeout(submission.timeout()));
    // The body in canonical JSON: a retry whose client wrote the members in another order, or with
    // other whitespace, is the same request.
    return durable.start(
        caller, start, DurableCalls.sha256(dev.gatehouse.workflows.approval.Approvals.canonical(body)), idempotencyKey);
  }

  public TaskView get(AgentCaller caller, String id, Duration wait) {
    TaskRecord row = durable.owned(caller, id);
    Optional<TaskOutcomes.Outcome> outcome;
    if (wait.isZero() || row.status().isClosed()) {
      outcome = durable.outcome(row, wait);
    } else {
      Runnable release = waitSlot(caller.agent().tenantId(), caller.agent().id());
      try {
        outcome = durable.outcome(row, wait);
      } finally {
        release.run();
      }
    }
    TaskView view;
    if (outcome.isEmpty()) {
      view = view(row, row.status(), null, errorOf(row), row.closedAt());
    } else {
      TaskOutcomes.Outcome o = outcome.get();
      // The index's time once it has one, as the list shows it; else the engine's (which the
      // index is repaired with).
      view = view(row, o.status(), o.result(), o.error(), row.status().isClosed() && row.closedAt() != null ? row.closedAt() : o.closedAt());
    }
    // Every running task but a pipeline or a durable tool call (whose steps never wait for an
    // approval) may be holding calls: the agent loop, and teams' workflows through the SPI.
    if (view.status().equals(TaskStatus.RUNNING.name())
        && !PipelineWorkflow.TYPE.equals(row.workflow())
        && !ToolCallWorkflow.TYPE.equals(row.workflow())) {
      view = view.withApprovals(durable.approvals(row));
    }
    return view;
  }

  public TaskSummary.Page list(AgentCaller caller, String status, int limit, String cursor) {
    TaskStatus filter = null;
    if (status != null && !status.isBlank()) {
      try {
        filter = TaskStatus.valueOf(status.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ApiException(
            ErrorCode.INVALID_REQUEST, "status must be one of RUNNING, COMPLETED, FAILED, CANCELED, TIMED_OUT");
      }
    }
    if (limit < 1 || limit > 200) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "limit must be between 1 and 200");
    }
    TaskCursor after = TaskCursor.decode(cursor);
    // A task past its run timeout is closed by the engine, which tells no workflow code: settle
    // this agent's overdue rows first, so the list shows them as they ended (the sweeper does the
    // same for all rows in the background).
    durable.reconcileOverdue(caller.agent().id(), OVERDUE_PER_LIST);
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
    Set<String> archived = durable.archive().archived(page.stream().map(TaskRecord::id).toList());
    return new TaskSummary.Page(
        page.stream()
            .map(r -> new TaskSummary(
                r.id(), r.workflow(), r.status().name(), Instants.iso(r.createdAt()), Instants.iso(r.closedAt()), archived.contains(r.id())))
            .toList(),
        next);
  }

  public TaskView cancel(AgentCaller caller, String id) {
    TaskRecord row = durable.owned(caller, id);
    if (!row.status().isClosed() && durable.settledAsOverdue(row)) {
      row = durable.owned(caller, id); // it timed out: the engine closed it, and told no one
    }
    if (row.status().isClosed()) {
      throw new ApiException(ErrorCode.TASK_CLOSED, "the task has already ended (" + row.status() + ")");
    }
    try {
      durable.cancel(id);
    } catch (WorkflowNotFoundException e) {
      get(caller, id, Duration.ZERO);
      throw new ApiException(ErrorCode.TASK_CLOSED, "the task has already ended");
    }
    durable.audited(caller, id, "task.cancel", row.workflow());
    return view(row, TaskStatus.RUNNING, null, null, null);
  }

  /**
   * The task's live events from the start, or after {@code lastEventId} (an id the stream gave:
   * {@code <runId>:<eventId>}). 404 when the task is not the agent's or its history is gone, 400
   * for an id that is not one of this task's, 429 {@code overloaded} when this replica streams
   * {@link #MAX_EVENT_STREAMS} already. Null when {@code lastEventId} is the task's last event
   * ({@code task.ended}): nothing will follow it.
   */
  /** {@code stillValid}: whether the request's credential still authenticates it, asked before each batch of events goes out. */
  public ChunkedOutput<String> events(AgentCaller caller, String id, String lastEventId, java.util.function.BooleanSupplier stillValid) {
    TaskRecord row = durable.owned(caller, id);
    String runId;
    Function<String, List<HistoryEvent>> history;
    try {
      runId = durable.firstRunId(id);
      history = run -> durable.runHistory(id, run);
    } catch (RuntimeException e) {
      // The engine no longer has it: the archived history, if the task ended and was archived.
      var runs = row.status().isClosed() ? durable.archive().load(id) : Optional.<List<HistoryArchive.Run>>empty();
      if (runs.isEmpty() || runs.get().isEmpty()) {
        throw new ApiException(ErrorCode.HISTORY_UNAVAILABLE, "the workflow history of task '" + id + "' is no longer available");
      }
      Map<String, List<HistoryEvent>> byRun = new HashMap<>();
      runs.get().forEach(r -> byRun.put(r.runId(), r.events()));
      runId = runs.get().get(0).runId();
      history = run -> {
        var events = byRun.get(run);
        if (events == null) {
          throw new IllegalStateException("run " + run + " is not in the archive");
        }
        return events;
      };
    }
    long after = 0;
    if (lastEventId != null && !lastEventId.isBlank()) {
      var m = EVENT_ID.matcher(lastEventId.trim());
      if (!m.matches()) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "Last-Event-ID must be an id this stream gave (<run>:<event>)");
      }
      runId = m.group(1);
      after = Long.parseLong(m.group(2));
      List<HistoryEvent> run;
      try {
        run = history.apply(runId); // a run of another task, or none, fails here
      } catch (RuntimeException e) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "Last-Event-ID names no event of this task");
      }
      HistoryEvent last = run.isEmpty() ? null : run.get(run.size() - 1);
      if (last == null || after > last.getEventId()) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "Last-Event-ID names no event of this task");
      }
      if (after == last.getEventId() && TaskEventStream.isClose(last.getEventType())
          && last.getEventType() != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) {
        // The client saw the end (task.ended): nothing follows. 204 tells EventSource to stop
        // reconnecting; an empty stream would have it reconnect for good.
        return null;
      }
    }
    StreamSlot release = eventStreamSlots(caller.agent().tenantId(), caller.agent().id());
    // The stream starts once Jersey has attached the output to the response (and TasksResource
    // has suspended the request before that): a chunked output written and closed before either
    // leaves a response that never ends (a race in Jersey: its issues 2964 and 5439).
    Runnable[] stream = new Runnable[1];
    var output = new AttachedOutput(() -> startStream(stream[0], release));
    TaskEventStream.Sink sink =
        new TaskEventStream.Sink() {
          @Override
          public void send(String text) throws IOException {
            output.write(text);
          }

          @Override
          public void close() {
            try {
              output.close();
            } catch (IOException e) {
              // the client went away; nothing to close
            }
          }
        };
    stream[0] = new TaskEventStream(durable, history, id, runId, after, release, release::checkDue, stillValid, sink);
    return output;
  }

  /**
   * A slot of the replica's event streams, one of the tenant's share and one of the agent's, given
   * back once by {@link StreamSlot#run()}; 429 {@code overloaded} when any is taken up. Without the
   * shares, one agent, or one tenant's many agents, could hold every stream of the replica and
   * refuse every other tenant's.
   *
   * <p>A stream whose client has gone keeps its slot until a write to it fails, and HTTP/1.1 tells
   * a server nothing of a closed connection while it writes nothing (a keep-alive goes out every
   * {@link TaskEventStream#KEEP_ALIVE}). So an agent refused for its share has its streams checked
   * at once (each writes a keep-alive on its next two polls: the first write to a closed
   * connection is taken by the kernel, the second fails), and the refusal says to retry in a
   * second ({@code Retry-After: 1}), by when the slots of its streams that have gone are free. A
   * tenant refused for its share has its agents' streams checked so, and a replica refusing for
   * its own limit every stream.
   */
  private StreamSlot eventStreamSlots(String tenantId, String agentId) {
    if (!eventStreams.tryAcquire()) {
      streamsByAgent.values().forEach(slots -> slots.forEach(StreamSlot::check));
      throw overloaded("eventStreams", MAX_EVENT_STREAMS, "this replica streams " + MAX_EVENT_STREAMS + " task event streams already; retry later");
    }
    if (!streamsByTenant.take(tenantId, MAX_EVENT_STREAMS_PER_TENANT)) {
      eventStreams.release();
      streamsByAgent.values().forEach(slots -> slots.forEach(s -> {
        if (s.tenantId.equals(tenantId)) {
          s.check();
        }
      }));
      throw overloaded(
          "tenantEventStreams", MAX_EVENT_STREAMS_PER_TENANT,
          "this tenant's agents have " + MAX_EVENT_STREAMS_PER_TENANT + " task event streams open on this replica already; close one"
              + " or retry in a second (streams whose clients have gone are being found and closed)");
    }
    StreamSlot slot = new StreamSlot(tenantId, agentId);
    boolean[] taken = new boolean[1];
    streamsByAgent.compute(agentId, (agent, open) -> {
      Set<StreamSlot> slots = open == null ? java.util.concurrent.ConcurrentHashMap.newKeySet() : open;
      if (slots.size() >= MAX_EVENT_STREAMS_PER_AGENT) {
        slots.forEach(StreamSlot::check);
        return slots;
      }
      taken[0] = true;
      slots.add(slot);
      return slots;
    });
    if (!taken[0]) {
      streamsByTenant.giveBack(tenantId);
      eventStreams.release();
      throw overloaded(
          "agentEventStreams", MAX_EVENT_STREAMS_PER_AGENT,
          "this agent has " + MAX_EVENT_STREAMS_PER_AGENT + " task event streams open on this replica already; close one or retry"
              + " in a second (streams whose clients have gone are being found and closed)");
    }
    return slot;
  }

  /** One open event stream's slot: gives it back once, and asks the stream to show it still has a client. */
  final class StreamSlot implements Runnable {
    private final String tenantId;
    private final String agentId;
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    /** Keep-alives to write now, to find out whether the client is still there. */
    private final java.util.concurrent.atomic.AtomicInteger checks = new java.util.concurrent.atomic.AtomicInteger();

    private StreamSlot(String tenantId, String agentId) {
      this.tenantId = tenantId;
      this.agentId = agentId;
    }

    void check() {
      checks.set(2);
    }

    /** True when the stream should write a keep-alive now (counts it). */
    boolean checkDue() {
      return checks.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    @Override
    public void run() {
      if (released.compareAndSet(false, true)) {
        streamsByAgent.computeIfPresent(agentId, (agent, slots) -> {
          slots.remove(this);
          return slots.isEmpty() ? null : slots;
        });
        streamsByTenant.giveBack(tenantId);
        eventStreams.release();
      }
    }
  }

  /** Runs an event stream on a thread of its own; when none can be had, ends the response and frees its slots. */
  private void startStream(Runnable stream, Runnable release) {
    try {
      EVENT_THREADS.execute(stream);
    } catch (RuntimeException e) {
      LOG.warn("could not start a task event stream: {}", e.toString());
      release.run();
      throw e;
    }
  }

  /**
   * Jersey's chunked output, calling {@code onAttach} once Jersey has attached it to the response
   * (its first flush: Jersey flushes when it attaches, and nothing has been written before).
   */
  static final class AttachedOutput extends ChunkedOutput<String> {
    private final AtomicBoolean attached = new AtomicBoolean();
    private final Runnable onAttach;

    AttachedOutput(Runnable onAttach) {
      super(String.class, "");
      this.onAttach = onAttach;
    }

    @Override
    protected void flushQueue() throws IOException {
      super.flushQueue();
      if (attached.compareAndSet(false, true)) {
        onAttach.run();
      }
    }
  }

  /**
   * Tool result {@code resultId} of task {@code id}, which Gatehouse stored outside the history:
   * to the callers who may read the task's trace (404 {@code task_not_found} to others), and only
   * a result that task stored within its tenant (404 {@code result_not_found} for any other id,
   * and once the result's retention has passed).
   */
  public TaskResultView result(AgentCaller caller, String id, String resultId) {
    TaskRecord row = durable.owned(caller, id);
    TaskResultDao.Stored stored =
        results
            .find(resultId, row.tenantId(), row.id())
            .orElseThrow(() -> new ApiException(ErrorCode.RESULT_NOT_FOUND, "task '" + id + "' has no stored result '" + resultId + "'"));
    return new TaskResultView(
        stored.id(), stored.taskId(), stored.stepId(), stored.chars(), stored.chars() > ToolResults.MAX_STORED_CHARS,
        Instants.iso(stored.createdAt()), StoredText.decode(stored.content()));
  }

  public TraceView trace(AgentCaller caller, String id) {
    TaskRecord row = durable.owned(caller, id);
    TaskView task = get(caller, id, Duration.ZERO);
    boolean running = task.running();
    DurableCalls.Steps steps = durable.steps(id, running);
    return new TraceView(row.id(), row.workflow(), task.status(), steps.steps(), steps.source());
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
      if (d.compareTo(maxTimeout) > 0) {
        throw new IllegalArgumentException(
            "'" + text + "' is longer than the longest task timeout, " + Durations.format(maxTimeout) + " (limits.maxTaskTimeout)");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "timeout: " + e.getMessage());
    }
  }

  private static TaskView view(TaskRecord row, TaskStatus status, JsonNode result, TaskError error, Instant closedAt) {
    return new TaskView(row.id(), row.workflow(), status.name(), result, error, Instants.iso(row.createdAt()),
        status.isClosed() ? Instants.iso(closedAt != null ? closedAt : row.closedAt()) : null);
  }

  private static TaskError errorOf(TaskRecord row) {
    return row.errorCode() == null ? null : new TaskError(row.errorCode(), row.errorMessage());
  }
}
