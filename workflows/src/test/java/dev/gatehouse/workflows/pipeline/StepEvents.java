package dev.gatehouse.workflows.pipeline;

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

  static EventType last(WorkflowExecutionHistory history) {
    return history.getLastEvent().getEventType();
  }

  private static Map<Long, String> stepsByScheduledEvent(WorkflowExecutionHistory history) {
    Map<Long, String> steps = new LinkedHashMap<>();
    for (HistoryEvent e : history.getEvents()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        ToolCallRequest request =
            DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(
                0,
                Optional.of(e.getActivityTaskScheduledEventAttributes().getInput()),
                ToolCallRequest.class,
                ToolCallRequest.class);
        steps.put(e.getEventId(), request.stepId());
      }
    }
    return steps;
  }
}
