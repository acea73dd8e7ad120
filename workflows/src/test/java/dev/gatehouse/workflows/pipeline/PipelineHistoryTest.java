package dev.gatehouse.workflows.pipeline;

import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.input;
import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.step;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import dev.gatehouse.workflows.tool.ToolCallWorkflowImpl;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
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
import org.junit.jupiter.api.Test;

/**
 * Replays recorded pipeline histories against the current code, so a change that would break
 * running workflows fails the build. Also records a fresh history under
 * {@code target/recorded-histories/} (copy it into {@code src/test/resources/histories/} to
 * refresh the committed one; see docs/workflows.md).
 */
class PipelineHistoryTest {
  static final String PIPELINE = "histories/pipeline.json";

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
    assertThat(histories).contains(PIPELINE);
    for (String resource : histories) {
      try (TestWorkflowEnvironment env = environment()) {
        WorkflowReplayer.replayWorkflowExecutionFromResource(
            resource, env, PipelineWorkflowImpl.class, ToolCallWorkflowImpl.class);
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
    String json;
    try (TestWorkflowEnvironment env = environment()) {
      Worker worker = env.newWorker(PipelineWorkflowTest.QUEUE);
      worker.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
      worker.registerActivitiesImplementations(new FakeToolActivities(), new RecordingTaskIndex());
      env.start();
      String id = "recorded-pipeline";
      env.getWorkflowClient()
          .newWorkflowStub(
              PipelineWorkflow.class,
              WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(PipelineWorkflowTest.QUEUE).build())
          .run(representativePipeline());
      json = env.getWorkflowClient().fetchHistory(id).toJson(true);
    }
    Path out = Path.of("target", "recorded-histories", "pipeline.json");
    Files.createDirectories(out.getParent());
    Files.writeString(out, json, StandardCharsets.UTF_8);
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
