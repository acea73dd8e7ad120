package dev.gatehouse.frontend.core.durable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.Timestamp;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.common.converter.DataConverter;
import dev.gatehouse.workflows.approval.Approvals;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.StoredResult;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.workflows.task.FailureCodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds a task's trace from its workflow history: one step per activity, in the order they were
 * scheduled, with inputs and outputs decoded by the same data converter the worker used; a model
 * step also says which provider answered, the tokens and the cost, from its activity's result. Attempts
 * of a step still in flight come from the workflow's pending-activity description.
 */
final class TraceBuilder {
  /** Temporal names an activity type by its interface prefix and capitalised method name. */
  private static final String TOOL_CALL = "Tool.Call";
  private static final String MODEL_CALL = ModelActivities.CALL;

  /** The events that close a run. */
  private static final Set<EventType> CLOSED =
      EnumSet.of(
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);

  private final DataConverter converter;

  TraceBuilder(DataConverter converter) {
    this.converter = converter;
  }

  private static final class StepState {
    String id;
    String kind;
    String name;
    String status = "SCHEDULED";
    int attempts;
    /** Whether an attempt's number was read (its started event, or the engine's pending activity). */
    boolean attemptKnown;
    Instant startedAt;
    /** When the attempt that ended the step (or the one running) started: its started event's time. */
    Instant attemptStartedAt;
    Instant endedAt;
    JsonNode input;
    JsonNode output;
    TaskError error;
    TraceView.ModelCall model;
    StoredResult stored;
    List<String> policies;
  }

  List<TraceView.Step> build(List<HistoryEvent> events, List<PendingActivityInfo> pending) {
    Map<Long, StepState> byScheduledEvent = new LinkedHashMap<>();
    Map<String, StepState> byActivityId = new HashMap<>();
    // An agent task's calls that needed approval, as its memo last said, by call id (= step id).
    Map<String, JsonNode> approvals = new LinkedHashMap<>();
    Map<String, Instant> askedAt = new HashMap<>();
    // The event that closed the run, if it has: a call it still showed waiting then will never run.
    HistoryEvent closing = null;
    // When the task's run timeout ends it: a call's expiresAt shows no later (as the approvals listing shows it).
    Instant deadline = null;
    for (HistoryEvent e : events) {
      EventType type = e.getEventType();
      if (CLOSED.contains(type)) {
        closing = e;
      }
      if (type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
        deadline = expiration(e);
      }
      switch (type) {
        case EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> {
          var a = e.getActivityTaskScheduledEventAttributes();
          StepState s = new StepState();
          s.startedAt = instant(e.getEventTime());
          Identity step = identify(a);
          s.kind = step.kind();
          s.id = step.id();
          s.name = step.name();
          s.input = step.input();
          byScheduledEvent.put(e.getEventId(), s);
          byActivityId.put(a.getActivityId(), s);
        }
        case EVENT_TYPE_ACTIVITY_TASK_STARTED -> {
          var a = e.getActivityTaskStartedEventAttributes();
          StepState s = byScheduledEvent.get(a.getScheduledEventId());
          if (s != null) {
            s.status = "RUNNING";
            s.attempts = a.getAttempt();
            s.attemptKnown = true;
            s.attemptStartedAt = instant(e.getEventTime());
            if (a.hasLastFailure()) {
              s.error = errorOf(a.getLastFailure());
            }
          }
        }
        case EVENT_TYPE_ACTIVITY_TASK_COMPLETED -> {
          var a = e.getActivityTaskCompletedEventAttributes();
          close(byScheduledEvent.get(a.getScheduledEventId()), "COMPLETED", e, null);
          StepState s = byScheduledEvent.get(a.getScheduledEventId());
          if (s != null) {
            s.error = null;
            if ("model".equals(s.kind)) {
              Optional<ModelCallResult> answer = decode(a.getResult(), ModelCallResult.class);
              s.output = answer.map(ModelCallResult::message).orElse(null);
              s.model = answer.map(TraceBuilder::modelCall).orElse(null);
              s.policies = answer.map(ModelCallResult::policies).orElse(null);
            } else if ("tool".equals(s.kind)) {
              Optional<ToolCallResult> result = decode(a.getResult(), ToolCallResult.class);
              s.output = result.map(ToolCallResult::output).orElse(null);
              s.stored = result.map(ToolCallResult::stored).orElse(null);
              s.policies = result.map(ToolCallResult::policies).orElse(null);
            } else {
              s.output = decode(a.getResult(), JsonNode.class).orElse(null);
            }
          }
        }
        case EVENT_TYPE_ACTIVITY_TASK_FAILED -> {
          var a = e.getActivityTaskFailedEventAttributes();
          close(byScheduledEvent.get(a.getScheduledEventId()), "FAILED", e, errorOf(a.getFailure()));
        }
        case EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT -> {
          var a = e.getActivityTaskTimedOutEventAttributes();
          close(byScheduledEvent.get(a.getScheduledEventId()), "TIMED_OUT", e, errorOf(a.getFailure()));
        }
        case EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED -> {
          // A memo this build cannot read leaves the steps traced without their approvals.
          for (JsonNode call : approvals(e, deadline)) {
            approvals.put(call.path("callId").asText(), call);
            askedAt.putIfAbsent(call.path("callId").asText(), instant(e.getEventTime()));
          }
        }
        case EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED -> {
          // Workflows cancel steps without waiting for them (TRY_CANCEL), and close at once, so
          // the request is usually the last the history says of the step. A later completion,
          // failure or cancellation, if the workflow went on, replaces it.
          var a = e.getActivityTaskCancelRequestedEventAttributes();
          close(byScheduledEvent.get(a.getScheduledEventId()), "CANCELED", e,
              new TaskError(ErrorCode.CANCELED.code(), "the step was canceled"));
        }
        case EVENT_TYPE_ACTIVITY_TASK_CANCELED -> {
          var a = e.getActivityTaskCanceledEventAttributes();
          close(byScheduledEvent.get(a.getScheduledEventId()), "CANCELED", e,
              new TaskError(ErrorCode.CANCELED.code(), "the step was canceled"));
        }
        default -> {}
      }
    }
    for (PendingActivityInfo p : pending) {
      StepState s = byActivityId.get(p.getActivityId());
      if (s != null && s.endedAt == null) {
        // The pending activity's attempt is the one running, or, while it waits out a retry's
        // backoff (scheduled again), the next one: the attempts made so far are one fewer then,
        // and the step is not running (a probe's trace said RUNNING, 2 attempts, during the backoff
        // after the first).
        // Temporal's test server (dev mode) says STARTED during the backoff too: there, the last
        // attempt ended after the last one started.
        boolean running = (p.getState() == io.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                || p.getState() == io.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED)
            && !(p.hasLastFailure() && p.hasLastAttemptCompleteTime() && p.hasLastStartedTime()
                && com.google.protobuf.util.Timestamps.compare(p.getLastAttemptCompleteTime(), p.getLastStartedTime()) >= 0);
        s.attempts = Math.max(s.attempts, running ? p.getAttempt() : p.getAttempt() - 1);
        s.attemptKnown = true;
        if (p.hasLastFailure()) {
          s.error = errorOf(p.getLastFailure());
        }
        if (running) {
          s.status = "RUNNING";
        }
      }
    }
    boolean closed = closing != null;
    if (closed) {
      endWithTheRun(byScheduledEvent.values(), closing);
      // A call still pending when the run closed (its timeout: no workflow code ran to say so) can
      // never be decided: shown canceled, as the admin API's approvals listing shows it.
      approvals.replaceAll(
          (id, call) -> call.isObject() && "pending".equals(call.path("status").asText())
              ? ((com.fasterxml.jackson.databind.node.ObjectNode) call.deepCopy()).put("status", "canceled")
              : call);
    }
    List<TraceView.Step> steps = new ArrayList<>();
    java.util.Set<String> traced = new java.util.HashSet<>();
    for (StepState s : byScheduledEvent.values()) {
      Long duration = s.endedAt == null ? null : Duration.between(s.startedAt, s.endedAt).toMillis();
      // From the attempt's started event, which the engine writes, for an activity with retries,
      // when that attempt ends, with the time it started; a step that ended without one (canceled
      // before it started, or before its attempt's event was written) has none.
      Long lastAttempt =
          s.endedAt == null || s.attemptStartedAt == null || s.attemptStartedAt.isAfter(s.endedAt)
              ? null
              : Duration.between(s.attemptStartedAt, s.endedAt).toMillis();
      // The engine writes an attempt's started event when the attempt ends: a step canceled while
      // an attempt ran, or between retries, has none, and once its workflow has closed nothing says
      // how many attempts it made (its audit rows do, one per attempt).
      Integer attempts = "CANCELED".equals(s.status) && !s.attemptKnown ? null : s.attempts;
      traced.add(s.id);
      steps.add(
          new TraceView.Step(
              s.id, s.kind, s.name, s.status, attempts, Instants.iso(s.startedAt),
              Instants.iso(s.endedAt), duration, lastAttempt, s.input, s.output, s.error, s.model,
              "tool".equals(s.kind) ? approvals.get(s.id) : null, s.stored, s.policies));
    }
    // A call that waits, or that was denied or expired, has no activity: it is a step of its own.
    for (Map.Entry<String, JsonNode> a : approvals.entrySet()) {
      if (!traced.contains(a.getKey())) {
        String status = a.getValue().path("status").asText();
        boolean waiting = !closed && (status.equals("pending") || status.equals("approved"));
        steps.add(
            new TraceView.Step(
                a.getKey(), "tool", a.getValue().path("tool").asText(null), waiting ? "WAITING_APPROVAL" : "NOT_RUN", 0,
                Instants.iso(askedAt.get(a.getKey())), null, null, null, null, null,
                waiting ? null : notRun(status),
                null, a.getValue(), null, null));
      }
    }
    return steps;
  }

  /** The ends of a run that leave steps behind: its steps still open never end now. */
  private static final Set<EventType> ENDED_EARLY =
      EnumSet.of(
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
  /** Ends that stop a wait for a step's next try (a cancel, a timeout): the wait's last try is not the step's outcome. */
  private static final Set<EventType> STOPPED =
      EnumSet.of(
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);

  /**
   * What the run's end ({@code closing}) says of its steps. A step still scheduled or running when
   * the run failed, was cancelled, terminated or timed out (no workflow code ran to cancel it: a
   * timeout, a termination) ended with the run: {@code CANCELED}. And a step whose last try was
   * refused for a worker slot or by a rate limit was waiting to try again, which the run's cancel
   * or timeout stopped: {@code CANCELED} too, its error naming the refusal, rather than a {@code
   * FAILED} the step never reached.
   */
  private static void endWithTheRun(java.util.Collection<StepState> steps, HistoryEvent closing) {
    if (!ENDED_EARLY.contains(closing.getEventType())) {
      return;
    }
    String ended =
        switch (closing.getEventType()) {
          case EVENT_TYPE_WORKFLOW_EXECUTION_FAILED -> "failed";
          case EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT -> "timed out";
          case EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED -> "was terminated";
          default -> "was canceled";
        };
    Map<String, StepState> last = new LinkedHashMap<>();
    for (StepState s : steps) {
      if (s.endedAt == null) {
        close(s, "CANCELED", closing, new TaskError(ErrorCode.CANCELED.code(), "the task " + ended + " before the step ended"));
      }
      last.put(s.id, s);
    }
    if (!STOPPED.contains(closing.getEventType())) {
      return;
    }
    for (StepState s : last.values()) {
      if ("FAILED".equals(s.status) && s.error != null
          && (ErrorCode.OVERLOADED.code().equals(s.error.code()) || ErrorCode.RATE_LIMITED.code().equals(s.error.code()))) {
        TaskError refused = s.error;
        close(s, "CANCELED", closing, new TaskError(ErrorCode.CANCELED.code(),
            "the task " + ended + " while the step waited to try again (its last try: " + refused.code() + ")"));
      }
    }
  }

  /** Why a call that needed approval did not run. */
  private static TaskError notRun(String status) {
    return switch (status) {
      case "denied" -> new TaskError(ErrorCode.APPROVAL_DENIED.code(), "an operator denied the call");
      case "expired" -> new TaskError(ErrorCode.APPROVAL_EXPIRED.code(), "no operator decided before the approval expired");
      case "approved" -> new TaskError(ErrorCode.CANCELED.code(), "the task ended before the approved call ran");
      default -> new TaskError(ErrorCode.CANCELED.code(), "the task ended while the call waited for approval");
    };
  }

  private static TraceView.ModelCall modelCall(ModelCallResult r) {
    return new TraceView.ModelCall(
        r.provider(), r.providerModel(), r.finishReason(), r.usage(), r.cost(), r.latencyMs(), r.earlierAttempts());
  }

  /** What a scheduled activity is as a step: a tool call or a model call (named from its input), or another activity. */
  record Identity(String id, String kind, String name, JsonNode input) {}

  Identity identify(ActivityTaskScheduledEventAttributes a) {
    String activityType = a.getActivityType().getName();
    if (activityType.equals(TOOL_CALL)) {
      Optional<ToolCallRequest> req = decode(a.getInput(), ToolCallRequest.class);
      return new Identity(
          req.map(ToolCallRequest::stepId).orElse(a.getActivityId()), "tool",
          req.map(ToolCallRequest::tool).orElse(null), req.map(ToolCallRequest::args).orElse(null));
    }
    if (activityType.equals(MODEL_CALL)) {
      Optional<ModelCallRequest> req = decode(a.getInput(), ModelCallRequest.class);
      return new Identity(
          req.map(ModelCallRequest::stepId).orElse(a.getActivityId()), "model",
          req.map(ModelCallRequest::model).orElse(null), req.map(ModelCallRequest::body).orElse(null));
    }
    return new Identity(a.getActivityId(), "activity", activityType, null);
  }

  /**
   * The calls an agent task's memo upsert ({@code WorkflowPropertiesModified}) says needed
   * approval, with their state; empty when the event holds none or they cannot be read.
   */
  JsonNode approvals(HistoryEvent e) {
    var payload =
        e.getWorkflowPropertiesModifiedEventAttributes().getUpsertedMemo().getFieldsMap().get(Approvals.PENDING);
    if (payload != null) {
      Optional<JsonNode> calls = decode(Payloads.newBuilder().addPayloads(payload).build(), JsonNode.class);
      if (calls.isPresent() && calls.get().isArray()) {
        return calls.get();
      }
    }
    return JsonNodeFactory.instance.arrayNode();
  }

  /**
   * As {@link #approvals(HistoryEvent)}, each call's {@code expiresAt} no later than {@code
   * deadline} (null: as written): a call cannot wait past its task, whose memo wrote the wait the
   * agent's rules give.
   */
  JsonNode approvals(HistoryEvent e, Instant deadline) {
    JsonNode calls = approvals(e);
    if (deadline == null) {
      return calls;
    }
    for (JsonNode call : calls) {
      if (call instanceof com.fasterxml.jackson.databind.node.ObjectNode o && o.path("expiresAt").isTextual()) {
        try {
          if (Instant.parse(o.path("expiresAt").textValue()).isAfter(deadline)) {
            o.put("expiresAt", deadline.toString());
          }
        } catch (java.time.format.DateTimeParseException unreadable) {
          // shown as written
        }
      }
    }
    return calls;
  }

  /**
   * When the task whose run {@code started} began ends at the latest (its run timeout), or null
   * when that is not known: the engine's expiration time, or (Temporal's test server leaves it
   * out) the first run's start plus the execution timeout.
   */
  static Instant expiration(HistoryEvent started) {
    var a = started.getWorkflowExecutionStartedEventAttributes();
    if (a.hasWorkflowExecutionExpirationTime()) {
      return instant(a.getWorkflowExecutionExpirationTime());
    }
    if (a.getContinuedExecutionRunId().isEmpty() && a.hasWorkflowExecutionTimeout()) {
      var timeout = a.getWorkflowExecutionTimeout();
      if (timeout.getSeconds() > 0 || timeout.getNanos() > 0) {
        return instant(started.getEventTime()).plusSeconds(timeout.getSeconds()).plusNanos(timeout.getNanos());
      }
    }
    return null;
  }

  private static void close(StepState s, String status, HistoryEvent e, TaskError error) {
    if (s != null) {
      s.status = status;
      s.endedAt = instant(e.getEventTime());
      s.error = error;
    }
  }

  <T> Optional<T> decode(Payloads payloads, Class<T> type) {
    try {
      return Optional.ofNullable(converter.fromPayloads(0, Optional.of(payloads), type, type));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static TaskError errorOf(Failure f) {
    Failure root = f;
    while (root.hasCause() && !root.hasApplicationFailureInfo()) {
      root = root.getCause();
    }
    String code =
        root.hasApplicationFailureInfo() && !root.getApplicationFailureInfo().getType().isEmpty()
            ? ErrorCode.codeOfFailureType(root.getApplicationFailureInfo().getType())
            : root.hasTimeoutFailureInfo() ? FailureCodes.TIMED_OUT : FailureCodes.WORKFLOW_FAILED;
    String message = root.getMessage();
    if (message.isEmpty() && root.hasTimeoutFailureInfo()) {
      message = "the step did not finish within its timeout"; // the engine's own says nothing
    }
    return new TaskError(code, message);
  }

  static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}
