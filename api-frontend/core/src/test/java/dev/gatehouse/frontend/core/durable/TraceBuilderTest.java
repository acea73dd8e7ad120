package dev.gatehouse.frontend.core.durable;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import dev.gatehouse.workflows.model.EarlierAttempts;
import dev.gatehouse.workflows.model.ModelCallResult;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.converter.DefaultDataConverter;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The trace of a pipeline with a model step, built from a recorded history (a copy of the one the
 * workflows module records and replays: a tool step, a model step answered on its third attempt,
 * a tool step reading the answer); and of an agent loop whose large tool results were stored
 * outside the history (a copy of {@code agent-stored-result.json}); and of an agent loop cancelled
 * while a call waited for approval (copies of {@code agent-approval-canceled.json} and its {@code -v0}).
 */
class TraceBuilderTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<TraceView.Step> trace() throws Exception {
    return trace("histories/pipeline-model-step.json");
  }

  private static List<TraceView.Step> trace(String resource) throws Exception {
    return new TraceBuilder(DefaultDataConverter.STANDARD_INSTANCE).build(history(resource).getEventsList(), List.of());
  }

  private static History history(String resource) throws Exception {
    try (InputStream in = TraceBuilderTest.class.getClassLoader().getResourceAsStream(resource)) {
      // Temporal's JSON form of a history is protobuf's (WorkflowExecutionHistory.fromJson needs the test kit).
      History.Builder history = History.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(new String(in.readAllBytes(), StandardCharsets.UTF_8), history);
      return history.build();
    }
  }

  @Test
  void aModelStepShowsItsRequestAnswerTokensCostAndProvider() throws Exception {
    List<TraceView.Step> steps = trace();
    assertThat(steps).extracting(TraceView.Step::id).containsExactly("fetch", "summary", "save");
    assertThat(steps).extracting(TraceView.Step::kind).containsExactly("tool", "model", "tool");

    TraceView.Step summary = steps.get(1);
    assertThat(summary.name()).isEqualTo("fake-busy");
    assertThat(summary.status()).isEqualTo("COMPLETED");
    assertThat(summary.attempts()).isEqualTo(3);
    assertThat(summary.input().get("messages").get(1).get("content").asText()).isEqualTo("Summarize: quarterly numbers");
    assertThat(summary.input().get("max_tokens").asInt()).isEqualTo(64);
    assertThat(summary.output().get("role").asText()).isEqualTo("assistant");
    assertThat(summary.output().get("content").asText()).isEqualTo("answered on attempt 3");
    assertThat(summary.error()).isNull();

    TraceView.ModelCall model = summary.model();
    assertThat(model.provider()).isEqualTo("fake-provider");
    assertThat(model.providerModel()).isEqualTo("fake-model-1");
    assertThat(model.finishReason()).isEqualTo("stop");
    assertThat(model.usage().inputTokens()).isEqualTo(12);
    assertThat(model.usage().cachedInputTokens()).isEqualTo(4);
    assertThat(model.usage().outputTokens()).isEqualTo(21);
    assertThat(model.cost()).isEqualTo("0.000123");
    assertThat(model.latencyMs()).isEqualTo(7);
  }

  /**
   * A step waiting out a retry's backoff is not running, and has made one attempt fewer than the
   * pending activity's number (the next one's): a probe's trace said RUNNING with 2 attempts while
   * its upstream had had one request.
   */
  @Test
  void aStepInItsRetrysBackoffIsScheduledWithTheAttemptsMadeSoFar() throws Exception {
    List<io.temporal.api.history.v1.HistoryEvent> events;
    try (InputStream in = TraceBuilderTest.class.getClassLoader().getResourceAsStream("histories/pipeline-model-step.json")) {
      History.Builder history = History.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(new String(in.readAllBytes(), StandardCharsets.UTF_8), history);
      events = history.getEventsList();
    }
    int cut = -1;
    String activityId = null;
    for (int i = 0; i < events.size(); i++) {
      var e = events.get(i);
      if (e.hasActivityTaskScheduledEventAttributes() && e.getActivityTaskScheduledEventAttributes().getActivityType().getName().contains("Model")) {
        cut = i;
        activityId = e.getActivityTaskScheduledEventAttributes().getActivityId();
        break;
      }
    }
    assertThat(cut).isPositive();
    List<io.temporal.api.history.v1.HistoryEvent> sofar = events.subList(0, cut + 1);
    io.temporal.api.failure.v1.Failure failed =
        io.temporal.api.failure.v1.Failure.newBuilder()
            .setMessage("provider answered 503")
            .setApplicationFailureInfo(io.temporal.api.failure.v1.ApplicationFailureInfo.newBuilder().setType("upstream_error"))
            .build();
    var pending =
        io.temporal.api.workflow.v1.PendingActivityInfo.newBuilder()
            .setActivityId(activityId)
            .setAttempt(2)
            .setLastFailure(failed)
            .setLastStartedTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_800_000_000L));
    TraceBuilder builder = new TraceBuilder(DefaultDataConverter.STANDARD_INSTANCE);

    TraceView.Step waiting =
        builder.build(sofar, List.of(pending.setState(io.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED).build())).get(1);
    assertThat(waiting.status()).isEqualTo("SCHEDULED");
    assertThat(waiting.attempts()).isEqualTo(1);
    assertThat(waiting.error().code()).isEqualTo("upstream_error");

    TraceView.Step running =
        builder.build(sofar, List.of(pending.setState(io.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED).build())).get(1);
    assertThat(running.status()).isEqualTo("RUNNING");
    assertThat(running.attempts()).isEqualTo(2);

    // Temporal's test server (dev mode's engine) says STARTED between attempts too, with the
    // next attempt's number: a probe's dev trace said RUNNING, 2 attempts, while the upstream
    // had had one and the step waited out its Retry-After. The last attempt ended after the last
    // start: none is running.
    TraceView.Step backingOff =
        builder.build(sofar, List.of(pending.setState(io.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
            .setLastAttemptCompleteTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_800_000_002L)).build())).get(1);
    assertThat(backingOff.status()).isEqualTo("SCHEDULED");
    assertThat(backingOff.attempts()).isEqualTo(1);
  }

  @Test
  void aStepSaysHowLongItsLastAttemptRanApartFromItsWaitsAndEarlierAttempts() throws Exception {
    List<TraceView.Step> steps = trace();
    // The model step: scheduled at 45.684, two failed attempts and their backoff, the third
    // attempt started at 45.749 (its started event's time) and answered at 45.756.
    TraceView.Step summary = steps.get(1);
    assertThat(summary.durationMs()).isEqualTo(72);
    assertThat(summary.lastAttemptMs()).isEqualTo(7);
    assertThat(summary.lastAttemptMs()).isEqualTo(summary.model().latencyMs());
    // One attempt: scheduled at 45.639, taken by a worker at 45.642, done at 45.666.
    assertThat(steps.get(0).durationMs()).isEqualTo(27);
    assertThat(steps.get(0).lastAttemptMs()).isEqualTo(24);
    assertThat(JSON.valueToTree(steps.get(0)).get("lastAttemptMs").asLong()).isEqualTo(24);
  }

  @Test
  void aCallThatNeverRanHasNoLastAttempt() throws Exception {
    TraceView.Step waited = trace("histories/agent-approval-canceled.json").get(2);
    assertThat(waited.lastAttemptMs()).isNull();
    assertThat(JSON.valueToTree(waited).has("lastAttemptMs")).isFalse();
  }

  @Test
  void onlyModelStepsCarryAModelMemberInJson() throws Exception {
    List<TraceView.Step> steps = trace();
    JsonNode tool = JSON.valueToTree(steps.get(0));
    JsonNode model = JSON.valueToTree(steps.get(1));
    assertThat(tool.has("model")).isFalse();
    assertThat(tool.get("output").toString()).isEqualTo("{\"args\":{\"doc\":\"quarterly numbers\"}}");
    assertThat(model.get("model").toString())
        .isEqualTo(
            "{\"provider\":\"fake-provider\",\"providerModel\":\"fake-model-1\",\"finishReason\":\"stop\","
                + "\"usage\":{\"inputTokens\":12,\"cachedInputTokens\":4,\"outputTokens\":21,\"reasoningTokens\":0,\"estimated\":false},"
                + "\"cost\":\"0.000123\",\"latencyMs\":7}");
  }

  /**
   * The recorded history, its model step's result saying what the step's two failed attempts were
   * billed (as an activity writes it since they are counted): the trace and the step's event show it.
   */
  @Test
  void aModelStepShowsWhatItsFailedAttemptsWereBilled() throws Exception {
    EarlierAttempts billed = new EarlierAttempts(2, 24, 3, "0.000021");
    List<HistoryEvent> events = new ArrayList<>();
    History recorded = history("histories/pipeline-model-step.json");
    long modelStep =
        recorded.getEventsList().stream()
            .filter(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                && e.getActivityTaskScheduledEventAttributes().getActivityType().getName().equals("Model.Call"))
            .findFirst()
            .orElseThrow()
            .getEventId();
    for (HistoryEvent e : recorded.getEventsList()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && e.getActivityTaskCompletedEventAttributes().getScheduledEventId() == modelStep) {
        var converter = DefaultDataConverter.STANDARD_INSTANCE;
        var attributes = e.getActivityTaskCompletedEventAttributes();
        ModelCallResult r = converter.fromPayloads(0, Optional.of(attributes.getResult()), ModelCallResult.class, ModelCallResult.class);
        e = e.toBuilder()
            .setActivityTaskCompletedEventAttributes(attributes.toBuilder().setResult(converter.toPayloads(r.withEarlierAttempts(billed)).orElseThrow()))
            .build();
      }
      events.add(e);
    }
    TraceView.Step summary = new TraceBuilder(DefaultDataConverter.STANDARD_INSTANCE).build(events, List.of()).get(1);
    assertThat(summary.model().earlierAttempts()).isEqualTo(billed);
    assertThat(summary.model().usage().inputTokens()).as("the answer's own").isEqualTo(12);
    assertThat(JSON.valueToTree(summary).at("/model/earlierAttempts").toString())
        .isEqualTo("{\"attempts\":2,\"inputTokens\":24,\"outputTokens\":3,\"cost\":\"0.000021\"}");

    TaskEvents stream = new TaskEvents(DefaultDataConverter.STANDARD_INSTANCE);
    List<TaskEvents.Event> finished =
        stream.mapAfter("run-1", events, 0).stream().filter(ev -> ev.name().equals("step.finished") && ev.data().has("provider")).toList();
    assertThat(finished).hasSize(1);
    assertThat(finished.get(0).data().get("earlierAttempts").toString())
        .isEqualTo("{\"attempts\":2,\"inputTokens\":24,\"outputTokens\":3,\"cost\":\"0.000021\"}");
  }

  @Test
  void stepsOfAHistoryWrittenBeforePolicyNotesExistedHaveNone() throws Exception {
    for (TraceView.Step step : trace()) {
      assertThat(step.policies()).isNull();
      assertThat(JSON.valueToTree(step).has("policies")).isFalse();
    }
  }

  @Test
  void aToolStepWhoseResultWasStoredShowsTheReferenceInPlaceOfTheOutput() throws Exception {
    List<TraceView.Step> steps = trace("histories/agent-stored-result.json");
    assertThat(steps).extracting(TraceView.Step::id).containsExactly("model-1", "tool-1.1", "model-2", "tool-2.1", "model-3");
    TraceView.Step tool = steps.get(1);
    assertThat(tool.output()).isNull();
    assertThat(tool.stored().id()).startsWith("res_");
    assertThat(tool.stored().chars()).isEqualTo(12_000);
    assertThat(tool.stored().preview()).hasSize(1024).startsWith("line 1 ");
    assertThat(steps.get(3).stored().chars()).isEqualTo(40_000);
    // In JSON only such steps carry it.
    JsonNode json = JSON.valueToTree(steps);
    assertThat(json.get(1).get("stored").get("id").asText()).isEqualTo(tool.stored().id());
    assertThat(json.get(0).has("stored")).isFalse();
  }

  @Test
  void callsOfATaskCanceledWhileTheyWaitedForApprovalShowAsNotRunNotAsWaiting() throws Exception {
    // Recorded by the workflows module: tool-1.1 approved, then the task canceled while tool-1.2
    // waited; the current code marks tool-1.2 canceled, a run recorded before that left it pending.
    for (String history : List.of("histories/agent-approval-canceled.json", "histories/agent-approval-canceled-v0.json")) {
      List<TraceView.Step> steps = trace(history);
      assertThat(steps).as(history).extracting(TraceView.Step::id).containsExactly("model-1", "tool-1.1", "tool-1.2");
      assertThat(steps).as(history).extracting(TraceView.Step::status).containsExactly("COMPLETED", "NOT_RUN", "NOT_RUN");
      assertThat(steps.get(1).approval().get("status").asText()).isEqualTo("approved");
      assertThat(steps.get(1).error().message()).isEqualTo("the task ended before the approved call ran");
      assertThat(steps.get(2).error().code()).isEqualTo("canceled");
      // The earlier run's memo still said pending: a closed run's pending call reads canceled, as
      // the admin API lists it (an audit found the trace saying pending after a timeout).
      assertThat(steps.get(2).approval().get("status").asText()).as(history).isEqualTo("canceled");
    }
  }

  // ---- histories written here, event by event: the ends of a run that leave steps behind

  /** The events of a hand-written history, each numbered and a second after the one before. */
  private static final class Events {
    final List<io.temporal.api.history.v1.HistoryEvent> list = new java.util.ArrayList<>();

    long add(io.temporal.api.enums.v1.EventType type, java.util.function.Consumer<io.temporal.api.history.v1.HistoryEvent.Builder> attributes) {
      long id = list.size() + 1;
      var e = io.temporal.api.history.v1.HistoryEvent.newBuilder()
          .setEventId(id).setEventType(type)
          .setEventTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_700_000_000L + id));
      attributes.accept(e);
      list.add(e.build());
      return id;
    }

    /** A tool step's attempt scheduled: its ToolCallRequest is what names the step. */
    long toolStep(String step) {
      var input = DefaultDataConverter.STANDARD_INSTANCE
          .toPayloads(new dev.gatehouse.workflows.tool.ToolCallRequest(step, "t.slow", JSON.createObjectNode(),
              new dev.gatehouse.workflows.tool.Caller("ten", "agt", List.of())))
          .orElseThrow();
      return add(io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, e -> e.setActivityTaskScheduledEventAttributes(
          io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes.newBuilder()
              .setActivityId(step + "-" + list.size()).setActivityType(io.temporal.api.common.v1.ActivityType.newBuilder().setName("Tool.Call"))
              .setInput(input)));
    }

    void failed(long scheduled, String type) {
      add(io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, e -> e.setActivityTaskFailedEventAttributes(
          io.temporal.api.history.v1.ActivityTaskFailedEventAttributes.newBuilder().setScheduledEventId(scheduled)
              .setFailure(io.temporal.api.failure.v1.Failure.newBuilder().setMessage("refused")
                  .setApplicationFailureInfo(io.temporal.api.failure.v1.ApplicationFailureInfo.newBuilder().setType(type)))));
    }

    List<TraceView.Step> trace() {
      return new TraceBuilder(DefaultDataConverter.STANDARD_INSTANCE).build(list, List.of());
    }
  }

  /**
   * A probe's pipeline that timed out while its one step ran still showed the step SCHEDULED,
   * without an end, in the trace of the ended task.
   */
  @Test
  void aStepStillRunningWhenTheTaskTimedOutEndedWithIt() {
    Events h = new Events();
    h.toolStep("a");
    long end = h.add(io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, e -> {});
    TraceView.Step a = h.trace().get(0);
    assertThat(a.status()).isEqualTo("CANCELED");
    assertThat(a.endedAt()).isEqualTo(java.time.Instant.ofEpochSecond(1_700_000_000L + end).toString());
    assertThat(a.error().code()).isEqualTo("canceled");
    assertThat(a.error().message()).isEqualTo("the task timed out before the step ended");
  }

  /**
   * Steps whose last try was refused for a worker slot or by a rate limit wait to try again; a
   * probe's task cancelled then showed them FAILED with the refusal, and nothing said canceled.
   */
  @Test
  void aStepWaitingToTryAgainWhenTheTaskWasCanceledShowsCanceled() {
    Events h = new Events();
    long a = h.toolStep("a");
    h.failed(a, "Overloaded");
    long b = h.toolStep("b");
    h.failed(b, "UpstreamError");
    h.add(io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, e -> {});
    List<TraceView.Step> steps = h.trace();
    assertThat(steps).extracting(TraceView.Step::status).containsExactly("CANCELED", "FAILED");
    assertThat(steps.get(0).error().message()).isEqualTo("the task was canceled while the step waited to try again (its last try: overloaded)");
    assertThat(steps.get(1).error().code()).as("a failure of its own stays").isEqualTo("upstream_error");

    // A task that failed (another step's failure) keeps what the waiting step's last try said:
    // a step that ran out of waits fails the task with the refusal, and that is its outcome.
    Events f = new Events();
    long c = f.toolStep("c");
    f.failed(c, "RateLimited");
    f.add(io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, e -> {});
    assertThat(f.trace()).extracting(TraceView.Step::status).containsExactly("FAILED");
  }
}
