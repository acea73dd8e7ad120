package dev.gatehouse.frontend.core.durable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.workflows.model.EarlierAttempts;
import dev.gatehouse.workflows.model.ModelCallResult;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.converter.DataConverter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A task's live events ({@code GET /v1/tasks/{id}/events}), read off its workflow history, so any
 * replica can serve them and a reconnecting client resumes where it left off. One instance follows
 * one stream: it keeps what it needs of earlier events (which step an activity is), so it must see
 * a run's events in order from the run's first, also those the client had already received.
 *
 * <p>Events: {@code task.started}; {@code step.started} (a tool or model call was scheduled);
 * {@code step.finished} (its status, duration and error; for a model call the provider, tokens
 * and cost); {@code approval.requested} and {@code approval.decided} (the calls of an agent task
 * whose approval was asked for, or was decided or expired, from the workflow's memo); {@code
 * task.ended} (the task's status, an agent's stop reason, or the error). Each
 * has the id {@code <runId>:<eventId>} of the history event it comes from.
 */
public final class TaskEvents {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** One event of the stream: its id, its name, its data. */
  public record Event(String id, String name, ObjectNode data) {}

  private record Step(String id, String kind, String name, Instant scheduledAt) {}

  /** Reads steps and approvals off history events as the trace does. */
  private final TraceBuilder reader;
  private final Map<Long, Step> steps = new HashMap<>();
  /** The status of each call that needed approval, as the memo last said. */
  private final Map<String, String> approvals = new HashMap<>();
  /** When the task's run timeout ends it, from the run's first event (null: none seen). */
  private Instant deadline;

  public TaskEvents(DataConverter converter) {
    this.reader = new TraceBuilder(converter);
  }

  /** The event {@code e} of run {@code runId} makes, if any. */
  public Optional<Event> map(String runId, HistoryEvent e) {
    String id = runId + ":" + e.getEventId();
    Instant at = TraceBuilder.instant(e.getEventTime());
    switch (e.getEventType()) {
      case EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> {
        var a = e.getWorkflowExecutionStartedEventAttributes();
        deadline = TraceBuilder.expiration(e);
        if (!a.getContinuedExecutionRunId().isEmpty()) {
          return Optional.empty(); // a run continued from the one before: the task goes on
        }
        return Optional.of(new Event(id, "task.started", data(at).put("workflow", a.getWorkflowType().getName())));
      }
      case EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> {
        TraceBuilder.Identity step = reader.identify(e.getActivityTaskScheduledEventAttributes());
        if (step.kind().equals("activity")) {
          return Optional.empty(); // neither a tool call nor a model call
        }
        Step s = new Step(step.id(), step.kind(), step.name(), at);
        steps.put(e.getEventId(), s);
        return Optional.of(new Event(id, "step.started", stepData(s, at)));
      }
      case EVENT_TYPE_ACTIVITY_TASK_COMPLETED -> {
        var a = e.getActivityTaskCompletedEventAttributes();
        Step s = steps.get(a.getScheduledEventId());
        if (s == null) {
          return Optional.empty();
        }
        ObjectNode d = finished(s, "COMPLETED", at);
        if (s.kind().equals("model")) {
          reader.decode(a.getResult(), ModelCallResult.class)
              .ifPresent(
                  r -> {
                    d.put("provider", r.provider());
                    d.put("finishReason", r.finishReason());
                    if (r.usage() != null) {
                      d.putObject("usage").put("inputTokens", r.usage().inputTokens()).put("outputTokens", r.usage().outputTokens());
                    }
                    if (r.cost() != null) {
                      d.put("cost", r.cost());
                    }
                    EarlierAttempts earlier = r.earlierAttempts();
                    if (earlier != null) {
                      ObjectNode billed = d.putObject("earlierAttempts").put("attempts", earlier.attempts());
                      billed.put("inputTokens", earlier.inputTokens()).put("outputTokens", earlier.outputTokens());
                      if (earlier.cost() != null) {
                        billed.put("cost", earlier.cost());
                      }
                    }
                  });
        }
        return Optional.of(new Event(id, "step.finished", d));
      }
      case EVENT_TYPE_ACTIVITY_TASK_FAILED -> {
        var a = e.getActivityTaskFailedEventAttributes();
        return closed(id, a.getScheduledEventId(), "FAILED", TraceBuilder.errorOf(a.getFailure()), at);
      }
      case EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT -> {
        var a = e.getActivityTaskTimedOutEventAttributes();
        return closed(id, a.getScheduledEventId(), "TIMED_OUT", TraceBuilder.errorOf(a.getFailure()), at);
      }
      case EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED -> {
        var a = e.getActivityTaskCancelRequestedEventAttributes();
        return closed(id, a.getScheduledEventId(), "CANCELED", new TaskError(ErrorCode.CANCELED.code(), "the step was canceled"), at);
      }
      case EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED -> {
        JsonNode calls = reader.approvals(e, deadline);
        com.fasterxml.jackson.databind.node.ArrayNode changed = JSON.arrayNode();
        boolean decided = false;
        for (JsonNode c : calls) {
          String callId = c.path("callId").asText();
          String status = c.path("status").asText();
          if (!status.equals(approvals.put(callId, status))) {
            changed.add(c);
            decided |= !status.equals("pending");
          }
        }
        if (changed.isEmpty()) {
          return Optional.empty();
        }
        ObjectNode d = data(at);
        d.set("calls", changed);
        return Optional.of(new Event(id, decided ? "approval.decided" : "approval.requested", d));
      }
      case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED -> {
        ObjectNode d = data(at).put("status", "COMPLETED");
        reader.decode(e.getWorkflowExecutionCompletedEventAttributes().getResult(), JsonNode.class)
            .map(r -> r.get("stopReason"))
            .filter(JsonNode::isTextual)
            .ifPresent(r -> d.put("stopReason", r.textValue()));
        return Optional.of(new Event(id, "task.ended", d));
      }
      case EVENT_TYPE_WORKFLOW_EXECUTION_FAILED -> {
        return ended(id, "FAILED", TraceBuilder.errorOf(e.getWorkflowExecutionFailedEventAttributes().getFailure()), at);
      }
      case EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED -> {
        return ended(id, "CANCELED", new TaskError(ErrorCode.CANCELED.code(), "the task was canceled"), at);
      }
      case EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT -> {
        return ended(id, "TIMED_OUT", new TaskError(ErrorCode.TIMED_OUT.code(), "the task ran past its timeout"), at);
      }
      case EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED -> {
        // Gatehouse's own terminations end the task as the task's view says (TaskOutcomes): one
        // past its timeout TIMED_OUT, one that did not process its cancel CANCELED (the stream
        // said FAILED, terminated by an operator, where GET said TIMED_OUT).
        TaskOutcomes.Outcome own = TaskOutcomes.ownTermination(e.getWorkflowExecutionTerminatedEventAttributes().getReason());
        if (own != null) {
          return ended(id, own.status().name(), own.error(), at);
        }
        return ended(id, "FAILED", new TaskError(ErrorCode.TERMINATED.code(), "the task was terminated by an operator"), at);
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  private Optional<Event> closed(String id, long scheduledEventId, String status, TaskError error, Instant at) {
    Step s = steps.get(scheduledEventId);
    if (s == null) {
      return Optional.empty();
    }
    ObjectNode d = finished(s, status, at);
    d.putObject("error").put("code", error.code()).put("message", error.message());
    return Optional.of(new Event(id, "step.finished", d));
  }

  private static Optional<Event> ended(String id, String status, TaskError error, Instant at) {
    ObjectNode d = data(at).put("status", status);
    d.putObject("error").put("code", error.code()).put("message", error.message());
    return Optional.of(new Event(id, "task.ended", d));
  }

  private static ObjectNode finished(Step s, String status, Instant at) {
    return stepData(s, at).put("status", status).put("durationMs", Duration.between(s.scheduledAt(), at).toMillis());
  }

  private static ObjectNode stepData(Step s, Instant at) {
    return data(at).put("step", s.id()).put("kind", s.kind()).put("name", s.name());
  }

  private static ObjectNode data(Instant at) {
    return JSON.objectNode().put("at", Instants.iso(at));
  }

  /** For a stream that resumes: every event of {@code events} is fed to the mapper, and those after {@code afterEventId} returned. */
  public List<Event> mapAfter(String runId, List<HistoryEvent> events, long afterEventId) {
    List<Event> out = new java.util.ArrayList<>();
    for (HistoryEvent e : events) {
      Optional<Event> ev = map(runId, e);
      if (e.getEventId() > afterEventId) {
        ev.ifPresent(out::add);
      }
    }
    return out;
  }
}
