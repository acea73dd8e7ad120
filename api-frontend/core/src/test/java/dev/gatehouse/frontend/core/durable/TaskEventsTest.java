package dev.gatehouse.frontend.core.durable;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowExecutionTerminatedEventAttributes;
import io.temporal.common.converter.DefaultDataConverter;
import org.junit.jupiter.api.Test;

/**
 * A task Gatehouse itself terminated ends in its events stream as its view says: a probe's task
 * terminated past its timeout read TIMED_OUT on GET and FAILED ("terminated by an operator") in
 * its stream's task.ended.
 */
class TaskEventsTest {
  private static TaskEvents.Event ended(String reason) {
    HistoryEvent e =
        HistoryEvent.newBuilder()
            .setEventId(9)
            .setEventType(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED)
            .setEventTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_800_000_000L))
            .setWorkflowExecutionTerminatedEventAttributes(WorkflowExecutionTerminatedEventAttributes.newBuilder().setReason(reason))
            .build();
    return new TaskEvents(DefaultDataConverter.STANDARD_INSTANCE).map("run-1", e).orElseThrow();
  }

  @Test
  void aTerminationEndsTheTaskAsItsViewSays() {
    TaskEvents.Event timedOut = ended(TaskOutcomes.PAST_DEADLINE + " (2026-12-06T19:25:23Z)");
    assertThat(timedOut.name()).isEqualTo("task.ended");
    assertThat(timedOut.data().get("status").asText()).isEqualTo("TIMED_OUT");
    assertThat(timedOut.data().at("/error/code").asText()).isEqualTo("timed_out");

    TaskEvents.Event canceled = ended(TaskOutcomes.CANCEL_NOT_PROCESSED + " within 30 s");
    assertThat(canceled.data().get("status").asText()).isEqualTo("CANCELED");

    TaskEvents.Event byOperator = ended("cleaning up");
    assertThat(byOperator.data().get("status").asText()).isEqualTo("FAILED");
    assertThat(byOperator.data().at("/error/code").asText()).isEqualTo("terminated");
  }

  @Test
  void aTaskTheEngineTerminatedForAMessageTooLargeSaysSoNotThatAnOperatorDid() {
    TaskOutcomes.Outcome tooLarge = TaskOutcomes.failed(new io.temporal.failure.TerminatedFailure(TaskOutcomes.TOO_LARGE, null));
    assertThat(tooLarge.error().code()).isEqualTo("terminated");
    assertThat(tooLarge.error().message()).contains("workflow engine terminated the task").contains("larger than");
    assertThat(TaskOutcomes.failed(new io.temporal.failure.TerminatedFailure("cleaning up", null)).error().message())
        .isEqualTo("the task was terminated: cleaning up");
  }
}
