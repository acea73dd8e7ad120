package dev.gatehouse.workflows.pipeline;

import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.QUEUE;
import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.WORKER;
import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.input;
import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.modelStep;
import static dev.gatehouse.workflows.pipeline.PipelineWorkflowTest.step;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pipelines with model steps: {@code Model.Call} activities beside tool calls. */
class ModelStepWorkflowTest {
  private TestWorkflowEnvironment env;
  private FakeToolActivities tools;
  private FakeModelActivities models;
  private RecordingTaskIndex index;
  private WorkflowClient client;

  @BeforeEach
  void start() {
    env = PipelineWorkflowTest.environment();
    Worker worker = env.newWorker(QUEUE, WORKER);
    // As the real worker registers them: the tool heartbeat timeout must not reach model calls.
    worker.registerWorkflowImplementationTypes(
        ToolActivityDefaults.implementationOptions(Duration.ofSeconds(7)), PipelineWorkflowImpl.class);
    tools = new FakeToolActivities();
    models = new FakeModelActivities();
    index = new RecordingTaskIndex();
    worker.registerActivitiesImplementations(tools, models, index);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private PipelineWorkflow stub(String id) {
    return client.newWorkflowStub(
        PipelineWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
  }

  @Test
  void aModelStepFeedsAToolStepThroughItsOutput() {
    JsonNode result =
        stub("m-feed")
            .run(
                input(
                    "{\"text\":\"the long report\"}",
                    modelStep(
                        "summary",
                        "fake-echo",
                        "[{\"role\":\"system\",\"content\":\"Summarize.\"},"
                            + "{\"role\":\"user\",\"content\":\"Report: ${input.text}\"}]",
                        50),
                    step(
                        "save",
                        "echo",
                        "{\"note\":\"${steps.summary.output.content}\",\"tokens\":\"${steps.summary.output.usage.outputTokens}\"}",
                        "summary")));

    JsonNode summary = result.get("summary");
    assertThat(summary.get("content").asText()).isEqualTo("echo: Report: the long report");
    assertThat(summary.get("finishReason").asText()).isEqualTo("stop");
    assertThat(summary.get("usage").get("inputTokens").asLong()).isEqualTo(12);
    assertThat(summary.get("usage").get("cachedInputTokens").asLong()).isEqualTo(4);
    assertThat(summary.get("usage").get("outputTokens").asLong()).isEqualTo(29);
    assertThat(summary.get("usage").get("reasoningTokens").asLong()).isZero();
    assertThat(summary.get("cost").asText()).isEqualTo("0.000123");
    assertThat(summary.get("provider").asText()).isEqualTo("fake-provider");
    assertThat(summary.get("providerModel").asText()).isEqualTo("fake-model-1");
    assertThat(result.get("save").get("args").get("note").asText()).isEqualTo("echo: Report: the long report");
    assertThat(result.get("save").get("args").get("tokens").asInt()).isEqualTo(29);

    ModelCallRequest sent = models.requests.get(0);
    assertThat(sent.stepId()).isEqualTo("summary");
    assertThat(sent.model()).isEqualTo("fake-echo");
    assertThat(sent.caller()).isEqualTo(new Caller("ten_test", "agt_test", List.of()));
    assertThat(sent.body().toString())
        .isEqualTo(
            "{\"model\":\"fake-echo\",\"messages\":[{\"role\":\"system\",\"content\":\"Summarize.\"},"
                + "{\"role\":\"user\",\"content\":\"Report: the long report\"}],\"max_tokens\":50}");

    WorkflowExecutionHistory history = client.fetchHistory("m-feed");
    assertThat(StepEvents.activityTypes(history)).containsExactly(Map.entry("summary", ModelActivities.CALL), Map.entry("save", "Tool.Call"));
    var scheduled =
        history.getEvents().stream()
            .filter(HistoryEvent::hasActivityTaskScheduledEventAttributes)
            .map(HistoryEvent::getActivityTaskScheduledEventAttributes)
            .filter(a -> a.getActivityType().getName().equals(ModelActivities.CALL))
            .findFirst()
            .orElseThrow();
    // The model's recorded policy: 5 s plus the grace, 3 attempts; no heartbeat timeout (the call does not heartbeat).
    assertThat(scheduled.getStartToCloseTimeout().getSeconds()).isEqualTo(7);
    assertThat(scheduled.getRetryPolicy().getMaximumAttempts()).isEqualTo(3);
    assertThat(scheduled.hasHeartbeatTimeout() && scheduled.getHeartbeatTimeout().getSeconds() > 0).isFalse();
    assertThat(StepEvents.versionMarkers(history)).isEmpty();
  }

  @Test
  void aMessageWhoseContentIsOneTemplateNamingAnObjectGetsItsJsonText() {
    stub("m-object")
        .run(
            input(
                "{\"a\":2}",
                step("data", "add", "{\"a\":\"${input.a}\",\"b\":1}"),
                modelStep(
                    "explain",
                    "fake-echo",
                    "[{\"role\":\"user\",\"content\":\"${steps.data.output}\"},"
                        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"n=${steps.data.output.sum}\"}]}]",
                    null,
                    "data")));
    JsonNode messages = models.requests.get(0).body().get("messages");
    assertThat(messages.get(0).get("content").isTextual()).isTrue();
    assertThat(messages.get(0).get("content").asText()).isEqualTo("{\"sum\":3.0}");
    // Content parts stay parts; templates inside them are filled.
    assertThat(messages.get(1).get("content").get(0).get("text").asText()).isEqualTo("n=3.0");
    assertThat(models.requests.get(0).body().has("max_tokens")).isFalse();
  }

  @Test
  void aRetryableModelFailureIsRetriedByTheEngine() {
    JsonNode result = stub("m-busy").run(input("{}", modelStep("ask", "fake-busy", "[{\"role\":\"user\",\"content\":\"hi\"}]", null)));
    assertThat(result.get("ask").get("content").asText()).isEqualTo("answered on attempt 3");
    assertThat(models.calls.get("ask").get()).isEqualTo(3);
  }

  @Test
  void aNonRetryableModelFailureFailsTheStepWithItsCode() {
    WorkflowFailedException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            WorkflowFailedException.class,
            () ->
                stub("m-forbidden")
                    .run(
                        input(
                            "{}",
                            modelStep("ask", "fake-forbidden", "[{\"role\":\"user\",\"content\":\"hi\"}]", null),
                            step("after", "echo", "{}", "ask"))));
    ApplicationFailure failure = (ApplicationFailure) e.getCause();
    assertThat(failure.getType()).isEqualTo(PipelineWorkflow.STEP_FAILED);
    assertThat(failure.getOriginalMessage())
        .isEqualTo("step 'ask' (model fake-forbidden) failed: this agent may not use model 'fake-forbidden'");
    assertThat(failure.getDetails().get(0, String.class)).isEqualTo("ask");
    assertThat(failure.getDetails().get(1, String.class)).isEqualTo("model_not_allowed");
    assertThat(models.calls.get("ask").get()).isEqualTo(1);
    assertThat(tools.calls).doesNotContainKey("after");
    assertThat(index.closed).singleElement().satisfies(c -> assertThat(c.errorCode()).isEqualTo("step_failed"));
  }

  @Test
  void aTemplateInMessagesThatCannotBeFilledFailsTheTask() {
    assertThatThrownBy(
            () ->
                stub("m-template")
                    .run(
                        input(
                            "{}",
                            step("a", "echo", "{}"),
                            modelStep("ask", "fake-echo", "[{\"role\":\"user\",\"content\":\"${steps.a.output.nope}\"}]", null, "a"))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(PipelineWorkflow.TEMPLATE_ERROR);
              assertThat(f.getOriginalMessage()).contains("step 'ask'");
            });
    assertThat(models.requests).isEmpty();
  }

  @Test
  void messagesPastTheExpansionLimitFailTheTaskBeforeTheCall() {
    assertThatThrownBy(
            () ->
                stub("m-expansion")
                    .run(
                        input(
                            "{}",
                            step("big", "big", "{}"),
                            modelStep(
                                "ask",
                                "fake-echo",
                                "[{\"role\":\"user\",\"content\":\"${steps.big.output.text}\"},"
                                    + "{\"role\":\"user\",\"content\":\"${steps.big.output.text}\"}]",
                                null,
                                "big"))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(PipelineWorkflow.EXPANSION_TOO_LARGE);
              assertThat(f.getOriginalMessage()).contains("step 'ask': its messages would hold");
            });
    assertThat(models.requests).isEmpty();
  }

  @Test
  void aModelWithNoRecordedPolicyFailsTheTask() {
    PipelineInput in = input("{}", modelStep("ask", "fake-echo", "[{\"role\":\"user\",\"content\":\"hi\"}]", null));
    PipelineInput withoutPolicy = new PipelineInput(in.input(), in.pipeline(), in.toolPolicies(), in.caller());
    assertThatThrownBy(() -> stub("m-no-policy").run(withoutPolicy))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(PipelineWorkflow.STEP_FAILED);
              assertThat(f.getOriginalMessage()).contains("model 'fake-echo'");
            });
    assertThat(models.requests).isEmpty();
  }
}
