package dev.gatehouse.workflows.pipeline;

import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.converter.DefaultDataConverter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a pipeline's history records about its steps, named by step id. */
final class StepEvents {
  private StepEvents() {}

  /** The steps whose activity was scheduled, in order. */
  static List<String> scheduled(WorkflowExecutionHistory history) {
    return new ArrayList<>(stepsByScheduledEvent(history).values());
  }

  /** The steps whose activity the workflow asked to cancel, in order. */
  static List<String> cancelRequested(WorkflowExecutionHistory history) {
    Map<Long, String> steps = stepsByScheduledEvent(history);
    List<String> out = new ArrayList<>();
    for (HistoryEvent e : history.getEvents()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED) {
        out.add(steps.get(e.getActivityTaskCancelRequestedEventAttributes().getScheduledEventId()));
      }
    }
    return out;
  }

  /** The change ids of the {@code Workflow.getVersion} markers, in order. */
  static List<String> versionMarkers(WorkflowExecutionHistory history) {
    List<String> out = new ArrayList<>();
    for (HistoryEvent e : history.getEvents()) {
      if (e.getEventType() == EventType.EVENT_TYPE_MARKER_RECORDED
          && e.getMarkerRecordedEventAttributes().getMarkerName().equals("Version")) {
        var changeId = e.getMarkerRecordedEventAttributes().getDetailsOrThrow("changeId");
        out.add(
            DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(
                0, Optional.of(changeId), String.class, String.class));
      }
    }
    return out;
  }

  /** The activity types of the scheduled steps, by step id. */
  static Map<String, String> activityTypes(WorkflowExecutionHistory history) {
    Map<Long, String> steps = stepsByScheduledEvent(history);
    Map<String, String> out = new LinkedHashMap<>();
    for (HistoryEvent e : history.getEvents()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        out.put(steps.get(e.getEventId()), e.getActivityTaskScheduledEventAttributes().getActivityType().getName());
      }
    }
    return out;
  }

  /** The input of the first {@code Model.Call} scheduled for {@code stepId}. */
  static ModelCallRequest modelRequest(WorkflowExecutionHistory history, String stepId) {
    for (HistoryEvent e : history.getEvents()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
          && e.getActivityTaskScheduledEventAttributes().getActivityType().getName().equals(ModelActivities.CALL)) {
        ModelCallRequest request = decode(e.getActivityTaskScheduledEventAttributes().getInput(), ModelCallRequest.class);
        if (request.stepId().equals(stepId)) {
          return request;
        }
      }
    }
    throw new AssertionError("no Model.Call scheduled for step " + stepId);
  }

  private static <T> T decode(io.temporal.api.common.v1.Payloads payloads, Class<T> type) {
    return DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(0, Optional.of(payloads), type, type);
  }

  static EventType last(WorkflowExecutionHistory history) {
    return history.getLastEvent().getEventType();
  }

  private static Map<Long, String> stepsByScheduledEvent(WorkflowExecutionHistory history) {
    Map<Long, String> steps = new LinkedHashMap<>();
    for (HistoryEvent e : history.getEvents()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        var a = e.getActivityTaskScheduledEventAttributes();
        steps.put(
            e.getEventId(),
            a.getActivityType().getName().equals(ModelActivities.CALL)
                ? decode(a.getInput(), ModelCallRequest.class).stepId()
                : decode(a.getInput(), ToolCallRequest.class).stepId());
      }
    }
    return steps;
  }
}
