package dev.gatehouse.workflows.pipeline;

import static dev.gatehouse.workflows.pipeline.TemplatesTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallInput;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolCallWorkflow;
import dev.gatehouse.workflows.tool.ToolCallWorkflowImpl;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The durable single tool call the MCP face starts for tools that change things. */
class ToolCallWorkflowTest {
  static final String QUEUE = "tool-call-test";
  static final String HISTORY = "histories/tool-call.json";

  private TestWorkflowEnvironment env;
  private FakeToolActivities tools;
  private RecordingTaskIndex index;

  @BeforeEach
  void start() {
    env = environment();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(ToolCallWorkflowImpl.class);
    tools = new FakeToolActivities();
    index = new RecordingTaskIndex();
    worker.registerActivitiesImplementations(tools, index);
    env.start();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  static TestWorkflowEnvironment environment() {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setWorkerFactoryOptions(
                WorkerFactoryOptions.newBuilder().setWorkerInterceptors(new TaskIndexInterceptor()).build())
            .build());
  }

  static ToolCallInput input(String tool, String args) {
    return new ToolCallInput(
        tool, json(args), new Caller("alpha", "agent-a", List.of()), new ToolCallPolicy(5_000, 3, 10, 1.0, 10));
  }

  private ToolCallWorkflow stub(String id) {
    return env.getWorkflowClient()
        .newWorkflowStub(ToolCallWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
  }

  @Test
  void aCallThatFailsTwiceSucceedsOnTheThirdAttemptWithOneIdempotencyKey() {
    ToolCallResult result = stub("call-1").run(input("flaky", "{}"));

    assertThat(result.output().path("attempt").asInt()).isEqualTo(3);
    assertThat(tools.calls.get(ToolCallWorkflow.STEP_ID).get()).isEqualTo(3);
    assertThat(tools.idempotencyKeys.get(ToolCallWorkflow.STEP_ID)).startsWith("call-1/").doesNotContain("|");
    assertThat(tools.callers).containsOnly("alpha/agent-a");
    assertThat(index.closed).singleElement().satisfies(c -> assertThat(c.taskId()).isEqualTo("call-1"));
  }

  @Test
  void aRejectedCallFailsTheWorkflowAtOnceWithTheToolsFailureType() {
    assertThatThrownBy(() -> stub("call-2").run(input("reject", "{}")))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo(ToolFailureTypes.UPSTREAM_CLIENT_ERROR));
    assertThat(tools.calls.get(ToolCallWorkflow.STEP_ID).get()).isEqualTo(1);
  }

  @Test
  void aCanceledCallIsRecordedCanceledThoughItEndsWithItsActivitysFailure() throws Exception {
    String id = "call-canceled";
    io.temporal.client.WorkflowClient.start(stub(id)::run, input("block", "{}"));
    assertThat(tools.blockStarted.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    env.getWorkflowClient().newUntypedWorkflowStub(id).cancel();
    assertThatThrownBy(() -> env.getWorkflowClient().newUntypedWorkflowStub(id).getResult(ToolCallResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(io.temporal.failure.CanceledFailure.class);
    assertThat(index.closed)
        .singleElement()
        .satisfies(c -> {
          assertThat(c.status()).isEqualTo("CANCELED");
          assertThat(c.errorCode()).isEqualTo("canceled");
        });
  }

  @Test
  void recordsAHistoryThatReplaysAndTheCommittedOneStillReplays() throws Exception {
    stub("recorded-tool-call").run(input("flaky", "{\"path\":\"/tmp/x\"}"));
    String recorded = env.getWorkflowClient().fetchHistory("recorded-tool-call").toJson(true);
    Path out = Path.of("target", "recorded-histories", "tool-call.json");
    Files.createDirectories(out.getParent());
    Files.writeString(out, recorded, StandardCharsets.UTF_8);

    try (TestWorkflowEnvironment replay = environment()) {
      WorkflowReplayer.replayWorkflowExecution(
          WorkflowExecutionHistory.fromJson(recorded), replay, ToolCallWorkflowImpl.class);
    }
    try (TestWorkflowEnvironment replay = environment()) {
      WorkflowReplayer.replayWorkflowExecutionFromResource(HISTORY, replay, ToolCallWorkflowImpl.class);
    }
  }
}
