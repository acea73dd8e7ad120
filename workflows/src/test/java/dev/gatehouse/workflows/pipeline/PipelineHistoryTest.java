package dev.gatehouse.workflows.pipeline;

import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.input;
import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.step;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.agent.AgentWorkflowImpl;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import dev.gatehouse.workflows.tool.ToolCallWorkflowImpl;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Replays recorded pipeline histories against the current code, so a change that would break
 * running workflows fails the build. Also records a fresh history under
 * {@code target/recorded-histories/} (copy it into {@code src/test/resources/histories/} to
 * refresh the committed one; see docs/workflows.md).
 */
class PipelineHistoryTest {
  static final String PIPELINE = "histories/pipeline.json";
  static final String CANCELED = "histories/pipeline-canceled.json";
  static final String STEP_FAILED = "histories/pipeline-step-failed.json";
  static final String EXPANSION_TOO_LARGE = "histories/pipeline-expansion-too-large.json";
  static final String MODEL_STEP = "histories/pipeline-model-step.json";
  /** Recorded before a failed step cancelled the steps still running (no version marker). */
  static final String STEP_FAILED_V0 = "histories/pipeline-step-failed-v0.json";

  /** Every recorded history under src/test/resources/histories/. */
  static List<String> committed() throws Exception {
    Path dir = Path.of(PipelineHistoryTest.class.getClassLoader().getResource("histories").toURI());
    try (var files = Files.list(dir)) {
      return files.map(f -> "histories/" + f.getFileName()).filter(n -> n.endsWith(".json")).sorted().toList();
    }
  }

  private static TestWorkflowEnvironment environment() {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setWorkerFactoryOptions(
                WorkerFactoryOptions.newBuilder().setWorkerInterceptors(new TaskIndexInterceptor()).build())
            .build());
  }

  @Test
  void committedHistoriesReplayAgainstTheCurrentCode() throws Exception {
    List<String> histories = committed();
    assertThat(histories).contains(PIPELINE, CANCELED, STEP_FAILED, STEP_FAILED_V0, EXPANSION_TOO_LARGE, MODEL_STEP);
    assertThat(histories).contains(
        "histories/agent.json", "histories/agent-continued-as-new.json", "histories/agent-deadline.json", "histories/agent-stored-result.json",
        "histories/agent-approval-canceled.json", "histories/agent-approval-canceled-v0.json");
    for (String resource : histories) {
      try (TestWorkflowEnvironment env = environment()) {
        WorkflowReplayer.replayWorkflowExecutionFromResource(
            resource, env, PipelineWorkflowImpl.class, ToolCallWorkflowImpl.class, AgentWorkflowImpl.class);
      } catch (Exception e) {
        throw new AssertionError(resource + " does not replay against the current code", e);
      }
    }
  }

  @Test
  void replayingWithoutTheTaskIndexInterceptorFails() {
    // The interceptor's local activity is part of every history: a worker must register it.
    assertThatThrownBy(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(PIPELINE, PipelineWorkflowImpl.class))
        .hasMessageContaining("TaskIndex.RecordClosed");
  }

  @Test
  void aNonDeterministicChangeFailsReplay() {
    try (TestWorkflowEnvironment env = environment()) {
      assertThatThrownBy(
              () -> WorkflowReplayer.replayWorkflowExecutionFromResource(PIPELINE, env, TimerAddedPipelineWorkflow.class))
          .hasMessageContaining("NonDeterministicException");
    }
  }

  @Test
  void recordsAFreshHistoryThatReplays() throws Exception {
    String json =
        record("recorded-pipeline", representativePipeline(), (run, tools) -> run.getResult(JsonNode.class));
    write("pipeline.json", json);
    replay(json);
  }

  @Test
  void recordsACanceledHistoryThatReplays() throws Exception {
    String json =
        record(
            "recorded-canceled-pipeline",
            canceledPipeline(),
            (run, tools) -> {
              assertThat(tools.blockStarted.await(10, TimeUnit.SECONDS)).isTrue();
              run.cancel();
              assertThatThrownBy(() -> run.getResult(10, TimeUnit.SECONDS, JsonNode.class))
                  .hasCauseInstanceOf(CanceledFailure.class);
            });
    write("pipeline-canceled.json", json);
    replay(json);
  }

  @Test
  void recordsAStepFailedHistoryThatReplays() throws Exception {
    String json =
        record(
            "recorded-step-failed-pipeline",
            stepFailedPipeline(),
            (run, tools) ->
                assertThatThrownBy(() -> run.getResult(10, TimeUnit.SECONDS, JsonNode.class))
                    .hasCauseInstanceOf(ApplicationFailure.class));
    write("pipeline-step-failed.json", json);
    replay(json);
  }

  @Test
  void recordsAnExpansionTooLargeHistoryThatReplays() throws Exception {
    String json =
        record(
            "recorded-expansion-too-large-pipeline",
            expansionTooLargePipeline(),
            (run, tools) ->
                assertThatThrownBy(() -> run.getResult(10, TimeUnit.SECONDS, JsonNode.class))
                    .hasCauseInstanceOf(ApplicationFailure.class));
    write("pipeline-expansion-too-large.json", json);
    replay(json);
  }

  @Test
  void recordsAModelStepHistoryThatReplays() throws Exception {
    String json = record("recorded-model-step-pipeline", modelStepPipeline(), (run, tools) -> run.getResult(JsonNode.class));
    write("pipeline-model-step.json", json);
    replay(json);
  }

  /** What a recording does with the pipeline it started: wait for it, cancel it, ... */
  interface WhileRunning {
    void accept(WorkflowStub run, FakeToolActivities tools) throws Exception;
  }

  /** Runs {@code pipeline} as workflow {@code id} on a fresh test server and returns its history. */
  private static String record(String id, PipelineInput pipeline, WhileRunning whileRunning) throws Exception {
    try (TestWorkflowEnvironment env = environment()) {
      Worker worker = env.newWorker(PipelineWorkflowTest.QUEUE, PipelineWorkflowTest.WORKER);
      worker.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
      FakeToolActivities tools = new FakeToolActivities();
      worker.registerActivitiesImplementations(tools, new FakeModelActivities(), new RecordingTaskIndex());
      env.start();
      PipelineWorkflow wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  PipelineWorkflow.class,
                  WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(PipelineWorkflowTest.QUEUE).build());
      WorkflowClient.start(wf::run, pipeline);
      whileRunning.accept(WorkflowStub.fromTyped(wf), tools);
      return env.getWorkflowClient().fetchHistory(id).toJson(true);
    }
  }

  /** Writes a recorded history where docs/workflows.md says to copy it from. */
  private static void write(String name, String json) throws IOException {
    Path out = Path.of("target", "recorded-histories", name);
    Files.createDirectories(out.getParent());
    Files.writeString(out, json, StandardCharsets.UTF_8);
  }

  private static void replay(String json) throws Exception {
    try (TestWorkflowEnvironment env = environment()) {
      WorkflowReplayer.replayWorkflowExecution(
          WorkflowExecutionHistory.fromJson(json), env, PipelineWorkflowImpl.class);
    }
  }

  @Test
  void theCommittedHistoryCoversParallelStepsRetriesAndTheIndexMarker() throws IOException {
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(PIPELINE)) {
      assertThat(in).as("committed history").isNotNull();
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(json).contains("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED").contains("EVENT_TYPE_MARKER_RECORDED");
      assertThat(json).contains("\"attempt\": 3");
    }
  }

  @Test
  void theCommittedCanceledHistoryCancelsTheRunningStepAndSchedulesNoOther() throws Exception {
    WorkflowExecutionHistory history = committedHistory(CANCELED);
    assertThat(StepEvents.scheduled(history)).containsExactly("first", "wait");
    assertThat(StepEvents.cancelRequested(history)).containsExactly("wait");
    assertThat(StepEvents.last(history)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
  }

  @Test
  void theCommittedStepFailedHistoryCancelsTheStepStillRunning() throws Exception {
    WorkflowExecutionHistory history = committedHistory(STEP_FAILED);
    assertThat(StepEvents.scheduled(history)).containsExactlyInAnyOrder("slow", "bad");
    assertThat(StepEvents.cancelRequested(history)).containsExactly("slow");
    assertThat(StepEvents.versionMarkers(history)).containsExactly(PipelineWorkflowImpl.CANCEL_RUNNING_ON_FAILURE);
    assertThat(StepEvents.last(history)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
  }

  @Test
  void theCommittedStepFailedHistoryFromBeforeTheChangeCancelsNothing() throws Exception {
    WorkflowExecutionHistory history = committedHistory(STEP_FAILED_V0);
    assertThat(StepEvents.scheduled(history)).containsExactlyInAnyOrder("slow", "bad");
    assertThat(StepEvents.cancelRequested(history)).isEmpty();
    assertThat(StepEvents.versionMarkers(history)).isEmpty();
    assertThat(StepEvents.last(history)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
  }

  private static WorkflowExecutionHistory committedHistory(String resource) throws IOException {
    try (InputStream in = PipelineHistoryTest.class.getClassLoader().getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      return WorkflowExecutionHistory.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void theCommittedExpansionHistoryFailsBeforeSchedulingTheOversizeStep() throws Exception {
    WorkflowExecutionHistory history = committedHistory(EXPANSION_TOO_LARGE);
    assertThat(StepEvents.scheduled(history)).containsExactly("small");
    assertThat(StepEvents.versionMarkers(history)).containsExactly(PipelineWorkflowImpl.BOUND_EXPANSION);
    assertThat(StepEvents.last(history)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    assertThat(history.toJson(false)).contains(PipelineWorkflow.EXPANSION_TOO_LARGE);
  }

  @Test
  void theCommittedModelStepHistoryCallsTheModelBetweenTwoToolSteps() throws Exception {
    WorkflowExecutionHistory history = committedHistory(MODEL_STEP);
    assertThat(StepEvents.activityTypes(history))
        .containsExactly(
            java.util.Map.entry("fetch", "Tool.Call"),
            java.util.Map.entry("summary", ModelActivities.CALL),
            java.util.Map.entry("save", "Tool.Call"));
    ModelCallRequest request = StepEvents.modelRequest(history, "summary");
    assertThat(request.model()).isEqualTo("fake-busy");
    assertThat(request.body().path("messages").get(1).path("content").asText()).isEqualTo("Summarize: quarterly numbers");
    assertThat(request.body().path("max_tokens").asInt()).isEqualTo(64);
    // The model call succeeded on its third attempt, after two rate-limited ones.
    assertThat(
            history.getEvents().stream()
                .filter(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
                .map(e -> e.getActivityTaskStartedEventAttributes().getAttempt()))
        .containsExactly(1, 3, 1);
    assertThat(StepEvents.versionMarkers(history)).isEmpty();
    assertThat(StepEvents.last(history)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  }

  /** A tool step, a model step that reads it (rate limited twice, then answers), and a tool step that reads the answer. */
  static PipelineInput modelStepPipeline() {
    return input(
        "{\"doc\":\"quarterly numbers\"}",
        step("fetch", "echo", "{\"doc\":\"${input.doc}\"}"),
        PipelineWorkflowTest.modelStep(
            "summary",
            "fake-busy",
            "[{\"role\":\"system\",\"content\":\"Answer in one line.\"},"
                + "{\"role\":\"user\",\"content\":\"Summarize: ${steps.fetch.output.args.doc}\"}]",
            64,
            "fetch"),
        step("save", "echo", "{\"summary\":\"${steps.summary.output.content}\",\"cost\":\"${steps.summary.output.cost}\"}", "summary"));
  }

  /**
   * A 9,000-character output read 30 times by the next step: 270,000 bytes of arguments, over the
   * step limit, from a history that stays small.
   */
  static PipelineInput expansionTooLargePipeline() {
    StringBuilder fanOut = new StringBuilder("{");
    for (int i = 0; i < 30; i++) {
      fanOut.append(i == 0 ? "" : ",").append("\"v").append(i).append("\":\"${steps.small.output.args.v}\"");
    }
    return input(
        "{\"s\":\"" + "x".repeat(9_000) + "\"}",
        step("small", "echo", "{\"v\":\"${input.s}\"}"),
        step("fanout", "echo", fanOut.append("}").toString(), "small"));
  }

  /** A step that completes, one still running when the task is cancelled, and one that needs it. */
  static PipelineInput canceledPipeline() {
    return input(
        "{}", step("first", "echo", "{}"), step("wait", "block", "{}", "first"), step("after", "echo", "{}", "wait"));
  }

  /** A step that fails for good while another runs beside it, and one that needs both. */
  static PipelineInput stepFailedPipeline() {
    return input(
        "{}", step("slow", "block", "{}"), step("bad", "reject", "{}"), step("after", "echo", "{}", "slow", "bad"));
  }

  /** Two parallel steps, a join that reads both, and a step that succeeds on its third attempt. */
  static PipelineInput representativePipeline() {
    return input(
        "{\"a\":2,\"b\":3}",
        step("left", "add", "{\"a\":\"${input.a}\",\"b\":1}"),
        step("right", "add", "{\"a\":\"${input.b}\",\"b\":1}"),
        step("join", "add", "{\"a\":\"${steps.left.output.sum}\",\"b\":\"${steps.right.output.sum}\"}", "left", "right"),
        step("flaky", "flaky", "{}", "join"));
  }
}
