package dev.gatehouse.workflows.pipeline;

import static dev.gatehouse.workflows.pipeline.TemplatesTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.task.TaskClosed;
import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import io.temporal.client.ActivityCanceledException;
import io.temporal.client.ActivityNotExistsException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PipelineWorkflowTest {
  static final String QUEUE = "pipeline-test";

  private TestWorkflowEnvironment env;
  private FakeToolActivities tools;
  private RecordingTaskIndex index;
  private WorkflowClient client;

  @BeforeEach
  void start() {
    env = environment();
    Worker worker = env.newWorker(QUEUE, WORKER);
    worker.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
    tools = new FakeToolActivities();
    index = new RecordingTaskIndex();
    worker.registerActivitiesImplementations(tools, index);
    env.start();
    client = env.getWorkflowClient();
  }

  /**
   * An activity hears of its cancellation only when a heartbeat reaches the server, and without a
   * heartbeat timeout the SDK sends one at most every 30 s; the tests' workers send them sooner.
   */
  static final WorkerOptions WORKER =
      WorkerOptions.newBuilder().setDefaultHeartbeatThrottleInterval(Duration.ofMillis(100)).build();

  static TestWorkflowEnvironment environment() {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setWorkerFactoryOptions(
                WorkerFactoryOptions.newBuilder().setWorkerInterceptors(new TaskIndexInterceptor()).build())
            .build());
  }

  @AfterEach
  void stop() {
    env.close();
  }

  static PipelineStep step(String id, String tool, String args, String... deps) {
    return new PipelineStep(id, tool, json(args), List.of(deps));
  }

  /** A model step: {@code messages} is JSON, {@code maxTokens} may be null. */
  static PipelineStep modelStep(String id, String model, String messages, Integer maxTokens, String... deps) {
    return new PipelineStep(id, null, null, model, json(messages), maxTokens, List.of(deps));
  }

  static PipelineInput input(String input, PipelineStep... steps) {
    Map<String, ToolCallPolicy> policies = new HashMap<>();
    Map<String, ModelCallPolicy> models = new HashMap<>();
    for (PipelineStep s : steps) {
      if (s.callsModel()) {
        models.put(s.model(), new ModelCallPolicy(5_000, 3, 10, 1.0, 10));
      } else {
        policies.put(s.tool(), new ToolCallPolicy(5_000, 3, 10, 1.0, 10));
      }
    }
    return new PipelineInput(
        json(input), new PipelineDefinition(List.of(steps)), policies, new Caller("ten_test", "agt_test", List.of()), models);
  }

  private PipelineWorkflow stub(String id) {
    return client.newWorkflowStub(
        PipelineWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
  }

  @Test
  void runsStepsInDependencyOrderAndFillsTemplates() {
    JsonNode result =
        stub("t-order")
            .run(
                input(
                    "{\"a\":2,\"b\":3,\"name\":\"x\"}",
                    step("sum", "add", "{\"a\":\"${input.a}\",\"b\":\"${input.b}\"}"),
                    step("twice", "add", "{\"a\":\"${steps.sum.output.sum}\",\"b\":\"${steps.sum.output.sum}\"}", "sum"),
                    step("say", "echo", "{\"msg\":\"${input.name}=${steps.twice.output.sum}\"}", "twice")));
    assertThat(result.get("sum").get("sum").asDouble()).isEqualTo(5.0);
    assertThat(result.get("twice").get("sum").asDouble()).isEqualTo(10.0);
    assertThat(result.get("say").get("args").get("msg").asText()).isEqualTo("x=10.0");
    assertThat(tools.events).containsExactly("start:sum", "end:sum", "start:twice", "end:twice", "start:say", "end:say");
    assertThat(result.fieldNames()).toIterable().containsExactly("sum", "twice", "say");
    assertThat(tools.callers).containsOnly("ten_test/agt_test");
    assertThat(index.closed).containsExactly(new TaskClosed("t-order", "pipeline", "COMPLETED", null, null));
  }

  @Test
  void runsIndependentStepsInParallelAndJoinsThem() {
    JsonNode result =
        stub("t-parallel")
            .run(
                input(
                    "{}",
                    step("left", "barrier", "{}"),
                    step("right", "barrier", "{}"),
                    step("join", "echo", "{\"l\":\"${steps.left.output.ok}\",\"r\":\"${steps.right.output.ok}\"}", "left", "right")));
    // The barrier only opens when both steps are in flight at once.
    assertThat(result.get("join").get("args").toString()).isEqualTo("{\"l\":true,\"r\":true}");
    assertThat(tools.events.indexOf("start:join")).isGreaterThan(tools.events.indexOf("end:left"));
    assertThat(tools.events.indexOf("start:join")).isGreaterThan(tools.events.indexOf("end:right"));
  }

  @Test
  void retriesARetryableFailureWithTheSameIdempotencyKey() {
    JsonNode result = stub("t-flaky").run(input("{}", step("s", "flaky", "{}")));
    assertThat(result.get("s").get("attempt").asInt()).isEqualTo(3);
    assertThat(tools.calls.get("s").get()).isEqualTo(3);
    assertThat(tools.idempotencyKeys.get("s")).startsWith("t-flaky/").doesNotContain("|");
  }

  @Test
  void failsWhenRetriesRunOut() {
    tools.flakyFailures = 5;
    assertThatThrownBy(() -> stub("t-exhausted").run(input("{}", step("s", "flaky", "{}"))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ApplicationFailure.class)
        .hasMessageContaining("step 's' (tool flaky) failed: upstream answered 503");
    assertThat(tools.calls.get("s").get()).isEqualTo(3);
  }

  @Test
  void doesNotRetryANonRetryableFailureAndSkipsLaterSteps() {
    WorkflowFailedException e =
        (WorkflowFailedException)
            org.junit.jupiter.api.Assertions.assertThrows(
                WorkflowFailedException.class,
                () -> stub("t-reject").run(input("{}", step("bad", "reject", "{}"), step("after", "echo", "{}", "bad"))));
    ApplicationFailure failure = (ApplicationFailure) e.getCause();
    assertThat(failure.getType()).isEqualTo(PipelineWorkflow.STEP_FAILED);
    assertThat(failure.getDetails().get(0, String.class)).isEqualTo("bad");
    assertThat(failure.getDetails().get(1, String.class)).isEqualTo("UpstreamClientError");
    assertThat(tools.calls.get("bad").get()).isEqualTo(1);
    assertThat(tools.calls).doesNotContainKey("after");
    assertThat(index.closed).singleElement().satisfies(c -> {
      assertThat(c.status()).isEqualTo("FAILED");
      assertThat(c.errorCode()).isEqualTo("step_failed");
    });
  }

  /**
   * A step whose activity ran past its timeout fails as timed_out, in words: a probe's task failed
   * with cause timeout_failure (the Java class's name) and Temporal's "timeoutType=TIMEOUT_TYPE_START_TO_CLOSE".
   */
  @Test
  void aStepPastItsTimeoutFailsAsTimedOutInWords() {
    PipelineInput in =
        new PipelineInput(
            json("{}"),
            new PipelineDefinition(List.of(step("slow", "hold", "{}"))),
            Map.of("hold", new ToolCallPolicy(1_000, 1, 10, 1.0, 10)),
            new Caller("ten_test", "agt_test", List.of()),
            Map.of());
    try {
      WorkflowFailedException e =
          (WorkflowFailedException)
              org.junit.jupiter.api.Assertions.assertThrows(WorkflowFailedException.class, () -> stub("t-timeout").run(in));
      ApplicationFailure failure = (ApplicationFailure) e.getCause();
      assertThat(failure.getDetails().get(1, String.class)).isEqualTo("TimedOut");
      assertThat(dev.gatehouse.workflows.task.FailureCodes.of(failure.getDetails().get(1, String.class))).isEqualTo("timed_out");
      assertThat(failure.getOriginalMessage()).isEqualTo("step 'slow' (tool hold) failed: it did not finish within its timeout");
    } finally {
      tools.release.countDown();
    }
  }

  @Test
  void aStepThatFailsForGoodCancelsTheStepsStillRunning() {
    assertThatThrownBy(
            () ->
                stub("t-fail-cancels")
                    .run(
                        input(
                            "{}",
                            step("slow", "block", "{}"),
                            step("bad", "reject", "{}"),
                            step("after", "echo", "{}", "slow", "bad"))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo(PipelineWorkflow.STEP_FAILED));
    WorkflowExecutionHistory history = client.fetchHistory("t-fail-cancels");
    assertThat(StepEvents.cancelRequested(history)).containsExactly("slow");
    assertThat(StepEvents.versionMarkers(history)).containsExactly(PipelineWorkflowImpl.CANCEL_RUNNING_ON_FAILURE);
    assertThat(tools.calls).doesNotContainKey("after");
    assertThat(index.closed).singleElement().satisfies(c -> assertThat(c.errorCode()).isEqualTo("step_failed"));
  }

  @Test
  void aTemplateThatCannotBeFilledCancelsTheStepsStillRunning() {
    assertThatThrownBy(
            () ->
                stub("t-template-cancels")
                    .run(
                        input(
                            "{}",
                            step("slow", "block", "{}"),
                            step("a", "echo", "{}"),
                            step("b", "echo", "{\"x\":\"${steps.a.output.nope}\"}", "a"))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo(PipelineWorkflow.TEMPLATE_ERROR));
    WorkflowExecutionHistory history = client.fetchHistory("t-template-cancels");
    assertThat(StepEvents.scheduled(history)).containsExactlyInAnyOrder("slow", "a");
    assertThat(StepEvents.cancelRequested(history)).containsExactly("slow");
  }

  @Test
  void aStepWhoseFilledArgumentsPassTheLimitFailsTheTaskWithoutStartingIt() {
    // 200 KB of output read twice: 400 KB of arguments, over the 256 KiB a step may have.
    assertThatThrownBy(
            () ->
                stub("t-expansion")
                    .run(
                        input(
                            "{}",
                            step("big", "big", "{}"),
                            step("twice", "echo", "{\"a\":\"${steps.big.output.text}\",\"b\":\"${steps.big.output.text}\"}", "big"))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(PipelineWorkflow.EXPANSION_TOO_LARGE);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage()).contains("step 'twice'");
            });
    WorkflowExecutionHistory history = client.fetchHistory("t-expansion");
    assertThat(StepEvents.scheduled(history)).containsExactly("big");
    assertThat(StepEvents.versionMarkers(history)).containsExactly(PipelineWorkflowImpl.BOUND_EXPANSION);
    assertThat(index.closed).singleElement().satisfies(c -> {
      assertThat(c.status()).isEqualTo("FAILED");
      assertThat(c.errorCode()).isEqualTo("expansion_too_large");
    });
  }

  /** "[[[...]]]" nested {@code depth} levels around {@code inner}. */
  static String nested(int depth, String inner) {
    return "[".repeat(depth) + inner + "]".repeat(depth);
  }

  /**
   * A value nested 300 levels put by a template into arguments nested as deep: 600 levels, past
   * what a step may have. A probe's pipeline of 990 in 990 could not even be recorded: its
   * workflow task failed every 10 s until the task's timeout, logging each time.
   */
  @Test
  void aStepWhoseFilledArgumentsNestTooDeepFailsTheTaskWithoutStartingIt() {
    assertThatThrownBy(
            () ->
                stub("t-depth")
                    .run(input("{\"d\":" + nested(300, "1") + "}", step("deep", "echo", "{\"x\":" + nested(299, "\"${input.d}\"") + "}"))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(PipelineWorkflow.EXPANSION_TOO_LARGE);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage()).contains("step 'deep'").contains("at most " + Expansion.MAX_ARGS_DEPTH);
            });
    WorkflowExecutionHistory history = client.fetchHistory("t-depth");
    assertThat(StepEvents.scheduled(history)).isEmpty();
    assertThat(StepEvents.versionMarkers(history)).containsExactly(PipelineWorkflowImpl.BOUND_DEPTH);
  }

  @Test
  void outputsThatTogetherPassTheLimitFailTheTask() {
    PipelineStep[] steps = new PipelineStep[6];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = step("big" + i, "big", "{}");
    }
    assertThatThrownBy(() -> stub("t-outputs").run(input("{}", steps)))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo(PipelineWorkflow.OUTPUTS_TOO_LARGE));
    assertThat(index.closed).singleElement().satisfies(c -> assertThat(c.errorCode()).isEqualTo("outputs_too_large"));
  }

  @Test
  void pipelinesWithinTheLimitsRecordNoExpansionMarker() {
    JsonNode result =
        stub("t-within")
            .run(input("{}", step("big", "big", "{}"), step("once", "echo", "{\"a\":\"${steps.big.output.text}\"}", "big")));
    assertThat(result.get("once").get("args").get("a").asText()).hasSize(200_000);
    assertThat(StepEvents.versionMarkers(client.fetchHistory("t-within"))).isEmpty();
  }

  @Test
  void toolCallsGetTheHeartbeatTimeoutTheWorkerRegisteredWithTheirOwnPolicy() {
    try (TestWorkflowEnvironment other = environment()) {
      Worker worker = other.newWorker(QUEUE, WORKER);
      worker.registerWorkflowImplementationTypes(
          dev.gatehouse.workflows.tool.ToolActivityDefaults.implementationOptions(Duration.ofSeconds(7)),
          PipelineWorkflowImpl.class);
      worker.registerActivitiesImplementations(new FakeToolActivities(), new RecordingTaskIndex());
      other.start();
      other.getWorkflowClient()
          .newWorkflowStub(PipelineWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId("t-heartbeat").setTaskQueue(QUEUE).build())
          .run(input("{}", step("s", "echo", "{}")));
      var scheduled =
          other.getWorkflowClient().fetchHistory("t-heartbeat").getEvents().stream()
              .filter(io.temporal.api.history.v1.HistoryEvent::hasActivityTaskScheduledEventAttributes)
              .map(io.temporal.api.history.v1.HistoryEvent::getActivityTaskScheduledEventAttributes)
              .findFirst()
              .orElseThrow();
      assertThat(scheduled.getActivityType().getName()).isEqualTo(dev.gatehouse.workflows.tool.ToolActivityDefaults.CALL);
      assertThat(scheduled.getHeartbeatTimeout().getSeconds()).isEqualTo(7);
      // The tool's own policy still sets the rest: 5 s upstream timeout plus the grace.
      assertThat(scheduled.getStartToCloseTimeout().getSeconds()).isEqualTo(7);
      assertThat(scheduled.getRetryPolicy().getMaximumAttempts()).isEqualTo(3);
    }
  }

  @Test
  void aFailureWithNothingLeftRunningRecordsNoVersionMarker() {
    assertThatThrownBy(() -> stub("t-fail-alone").run(input("{}", step("bad", "reject", "{}"))))
        .isInstanceOf(WorkflowFailedException.class);
    // Such histories are the same as before the change, so they need no marker.
    assertThat(StepEvents.versionMarkers(client.fetchHistory("t-fail-alone"))).isEmpty();
  }

  @Test
  void failsCleanlyWhenATemplateNamesAMissingValue() {
    assertThatThrownBy(
            () ->
                stub("t-template")
                    .run(input("{}", step("a", "echo", "{}"), step("b", "echo", "{\"x\":\"${steps.a.output.nope}\"}", "a"))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ApplicationFailure.class)
        .hasMessageContaining("step 'b'")
        .satisfies(c -> assertThat(((ApplicationFailure) c).getType()).isEqualTo(PipelineWorkflow.TEMPLATE_ERROR));
  }

  @Test
  void cancellingStopsTheRunningStepAndStartsNoOther() throws Exception {
    PipelineWorkflow wf = stub("t-cancel");
    WorkflowClient.start(
        wf::run,
        input("{}", step("first", "echo", "{}"), step("wait", "block", "{}", "first"), step("after", "echo", "{}", "wait")));
    assertThat(tools.blockStarted.await(10, TimeUnit.SECONDS)).isTrue();
    WorkflowStub untyped = WorkflowStub.fromTyped(wf);
    untyped.cancel();

    assertThatThrownBy(() -> untyped.getResult(10, TimeUnit.SECONDS, JsonNode.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(CanceledFailure.class);
    WorkflowExecutionHistory history = client.fetchHistory("t-cancel");
    assertThat(StepEvents.scheduled(history)).containsExactly("first", "wait");
    assertThat(StepEvents.cancelRequested(history)).containsExactly("wait");
    // The activity hears it at its next heartbeat. The task has closed by then, so the server
    // answers "no such activity" rather than "cancel requested"; both tell it to stop.
    assertThat(tools.blockStoppedLatch.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(tools.blockStopped.get("wait"))
        .isInstanceOfAny(ActivityCanceledException.class, ActivityNotExistsException.class);
    assertThat(tools.calls).doesNotContainKey("after");
    assertThat(index.closed)
        .containsExactly(new TaskClosed("t-cancel", "pipeline", "CANCELED", "canceled", "the task was canceled"));
  }

  @Test
  void cancellingDoesNotWaitForAStepThatIgnoresIt() throws Exception {
    PipelineWorkflow wf = stub("t-cancel-deaf");
    WorkflowClient.start(wf::run, input("{}", step("deaf", "hold", "{}"), step("after", "echo", "{}", "deaf")));
    assertThat(tools.holdStarted.await(10, TimeUnit.SECONDS)).isTrue();
    WorkflowStub untyped = WorkflowStub.fromTyped(wf);
    untyped.cancel();
    try {
      assertThatThrownBy(() -> untyped.getResult(10, TimeUnit.SECONDS, JsonNode.class))
          .isInstanceOf(WorkflowFailedException.class)
          .cause()
          .isInstanceOf(CanceledFailure.class);
      // The task closed while the step (which never heartbeats) was still running upstream.
      assertThat(tools.events).doesNotContain("end:deaf");
      assertThat(index.closed).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo("CANCELED"));
    } finally {
      tools.release.countDown();
    }
    assertThat(tools.calls).doesNotContainKey("after");
  }

  @Test
  void aTaskCancelledBeforeItsFirstWorkflowTaskStartsNoStep() {
    // A worker of its own, started only after the cancel, so the first workflow task already
    // carries the cancel request.
    try (TestWorkflowEnvironment late = environment()) {
      Worker worker = late.newWorker(QUEUE, WORKER);
      worker.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
      FakeToolActivities lateTools = new FakeToolActivities();
      RecordingTaskIndex lateIndex = new RecordingTaskIndex();
      worker.registerActivitiesImplementations(lateTools, lateIndex);
      WorkflowClient lateClient = late.getWorkflowClient();
      PipelineWorkflow wf =
          lateClient.newWorkflowStub(
              PipelineWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId("t-cancel-early").setTaskQueue(QUEUE).build());
      WorkflowClient.start(wf::run, input("{}", step("a", "echo", "{}"), step("b", "echo", "{}", "a")));
      WorkflowStub untyped = WorkflowStub.fromTyped(wf);
      untyped.cancel();
      late.start();

      assertThatThrownBy(() -> untyped.getResult(10, TimeUnit.SECONDS, JsonNode.class))
          .isInstanceOf(WorkflowFailedException.class)
          .cause()
          .isInstanceOf(CanceledFailure.class);
      assertThat(StepEvents.scheduled(lateClient.fetchHistory("t-cancel-early"))).isEmpty();
      assertThat(lateTools.calls).isEmpty();
      assertThat(lateIndex.closed).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo("CANCELED"));
    }
  }
}
