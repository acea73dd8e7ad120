package dev.gatehouse.workflows.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.task.TaskClosed;
import dev.gatehouse.workflows.task.TaskIndexActivities;
import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent loop against a FAKE scripted model ({@link ScriptedModel}) and fake tools. */
class AgentWorkflowTest {
  static final String QUEUE = "agent-test";
  static final ObjectMapper JSON = new ObjectMapper();

  private TestWorkflowEnvironment env;
  private ScriptedModel model;
  private FakeAgentTools tools;
  private final List<TaskClosed> closed = new CopyOnWriteArrayList<>();
  private WorkflowClient client;

  static TestWorkflowEnvironment environment() {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setWorkerFactoryOptions(
                WorkerFactoryOptions.newBuilder().setWorkerInterceptors(new TaskIndexInterceptor()).build())
            .build());
  }

  @BeforeEach
  void start() {
    env = environment();
    Worker worker =
        env.newWorker(QUEUE, WorkerOptions.newBuilder().setDefaultHeartbeatThrottleInterval(Duration.ofMillis(100)).build());
    worker.registerWorkflowImplementationTypes(
        ToolActivityDefaults.implementationOptions(Duration.ofSeconds(5)), AgentWorkflowImpl.class);
    tools = new FakeAgentTools();
    model = new ScriptedModel(tools.stored);
    TaskIndexActivities index = closed::add;
    worker.registerActivitiesImplementations(model, tools, index);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  static AgentLimits limits(int maxSteps) {
    return new AgentLimits(maxSteps, null, null, null, 50);
  }

  static AgentInput input(String modelAlias, AgentLimits limits) {
    return input(modelAlias, limits, null);
  }

  static AgentInput input(String modelAlias, AgentLimits limits, Integer continueAfterEvents) {
    List<String> names = List.of("kb.lookup", "ops.slow");
    List<String> functions = AgentTools.functionNames(names);
    ToolCallPolicy policy = new ToolCallPolicy(5_000, 2, 10, 1.0, 10);
    List<AgentTool> offered = new ArrayList<>();
    offered.add(new AgentTool("lookup", "lookup", "Looks things up.", schema(), policy));
    offered.add(new AgentTool("slow", "slow", null, null, policy));
    offered.add(new AgentTool("danger", "danger", "Deletes a thing.", null, policy, true));
    offered.add(new AgentTool("report", "report", "Writes a report of `size` characters.", null, policy));
    assertThat(functions).containsExactly("kb_lookup", "ops_slow");
    ObjectNode user = JsonNodeFactory.instance.objectNode().put("role", "user").put("content", "find a and b");
    return new AgentInput(
        modelAlias, List.of(user), offered, limits, new Caller("ten_test", "agt_test", List.of()),
        new ModelCallPolicy(5_000, 2, 10, 1.0, 10), null, continueAfterEvents);
  }

  private static JsonNode schema() {
    try {
      return JSON.readTree("{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}},\"required\":[\"q\"]}");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private AgentWorkflow stub(String id) {
    return client.newWorkflowStub(
        AgentWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
  }

  @Test
  void runsTheToolsTheModelAsksForInParallelAndFeedsTheirResultsBack() {
    AgentResult r = stub("a-parallel").run(input("fake-parallel", limits(10)));

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.COMPLETED);
    assertThat(r.steps()).isEqualTo(2);
    assertThat(r.toolCalls()).isEqualTo(2);
    assertThat(r.content())
        .isEqualTo("found c1={\"answer\":\"result for a\"};c2={\"answer\":\"result for b\"};");
    assertThat(r.usage().inputTokens()).isEqualTo(2 * ScriptedModel.INPUT_TOKENS);
    assertThat(r.usage().totalTokens()).isEqualTo(2 * (ScriptedModel.INPUT_TOKENS + ScriptedModel.OUTPUT_TOKENS));
    assertThat(new BigDecimal(r.usage().cost())).isEqualByComparingTo("0.02");
    // The first request offers the tools' schemas and the step's max_tokens.
    ModelCallRequest first = model.requests.get(0);
    assertThat(first.stepId()).isEqualTo("model-1");
    assertThat(first.body().path("tools").get(0).path("function").path("name").asText()).isEqualTo("lookup");
    assertThat(first.body().path("tools").get(0).path("function").path("parameters").path("required").get(0).asText()).isEqualTo("q");
    assertThat(first.body().path("max_tokens").asInt()).isEqualTo(50);
    assertThat(first.budget()).isEqualTo(new dev.gatehouse.workflows.model.ModelBudget(null, null));
    // The second carries the answer's tool calls and one tool message per call, in the order asked.
    JsonNode messages = model.requests.get(1).body().path("messages");
    assertThat(messages).hasSize(4);
    assertThat(messages.get(1).path("tool_calls")).hasSize(2);
    assertThat(messages.get(2).path("tool_call_id").asText()).isEqualTo("c1");
    assertThat(messages.get(3).path("tool_call_id").asText()).isEqualTo("c2");
    assertThat(tools.calls).extracting(c -> c.stepId()).containsExactlyInAnyOrder("tool-1.1", "tool-1.2");
    assertThat(closed).extracting(TaskClosed::status).containsExactly("COMPLETED");
  }

  @Test
  void aToolTheTaskDoesNotOfferOrArgumentsItsSchemaRefusesAreNotRunAndTheModelReadsWhy() {
    AgentResult r = stub("a-forbidden").run(input("fake-forbidden", limits(10)));

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.COMPLETED);
    assertThat(tools.calls).extracting(c -> c.tool()).containsOnly("lookup");
    assertThat(r.content())
        .contains("c1={\"error\":{\"code\":\"tool_not_allowed\"")
        .contains("no tool named 'secret_tool'")
        .contains("c2={\"error\":{\"code\":\"invalid_arguments\"")
        .contains("c3={\"error\":{\"code\":\"invalid_arguments\"");
    // Arguments that are not JSON reach the tool's own check as text, which no object schema takes.
    assertThat(tools.calls.stream().filter(c -> c.stepId().equals("tool-1.3")).findFirst().orElseThrow().args().isTextual())
        .isTrue();
  }

  @Test
  void stopsAtMaxStepsWithoutRunningTheLastAnswersTools() {
    AgentResult r = stub("a-steps").run(input("fake-greedy", limits(3)));

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.MAX_STEPS);
    assertThat(r.steps()).isEqualTo(3);
    assertThat(model.requests).hasSize(3);
    assertThat(tools.calls).hasSize(2);
    assertThat(r.message().path("tool_calls")).hasSize(1);
  }

  @Test
  void aModelCallWhoseWorstCaseWouldPassTheTokenLimitIsNotSentAndTheTaskNeverSpendsMore() {
    long maxTokens = 700;
    AgentResult r = stub("a-tokens").run(input("fake-greedy", new AgentLimits(50, maxTokens, null, null, 50)));

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.BUDGET);
    assertThat(r.usage().totalTokens()).isLessThanOrEqualTo(maxTokens);
    assertThat(r.steps()).isEqualTo(model.requests.size()).isGreaterThan(1);
    // Every call was offered what was left: the limit less what the calls before it used.
    for (int i = 0; i < model.requests.size(); i++) {
      assertThat(model.requests.get(i).budget().maxTokens())
          .isEqualTo(maxTokens - i * (ScriptedModel.INPUT_TOKENS + ScriptedModel.OUTPUT_TOKENS));
    }
  }

  @Test
  void stopsOnCostBeforeACallThatCouldPassIt() {
    AgentResult refused = stub("a-cost").run(input("fake-greedy", new AgentLimits(50, null, "0.025", null, 50)));
    assertThat(refused.stopReason()).isEqualTo(AgentWorkflow.BUDGET);
    assertThat(new BigDecimal(refused.usage().cost())).isEqualByComparingTo("0.02");
    assertThat(model.requests).hasSize(2);
    assertThat(model.requests.get(1).budget().maxCost()).isEqualTo("0.015");

    model.requests.clear();
    AgentResult spent = stub("a-cost-exact").run(input("fake-greedy", new AgentLimits(50, null, "0.02", null, 50)));
    assertThat(spent.stopReason()).isEqualTo(AgentWorkflow.BUDGET);
    assertThat(new BigDecimal(spent.usage().cost())).isEqualByComparingTo("0.02");
    assertThat(model.requests).as("nothing is left after two calls: no third is attempted").hasSize(2);
  }

  @Test
  void theDeadlineCancelsTheRunningStepAndEndsTheTask() throws Exception {
    AgentResult r = stub("a-deadline").run(input("fake-slow", new AgentLimits(10, null, null, 1_500L, 50)));

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.DEADLINE);
    assertThat(r.steps()).isEqualTo(1);
    assertThat(tools.slowStopped.await(10, TimeUnit.SECONDS)).as("the running tool call was told to stop").isTrue();
  }

  @Test
  void theDeadlineStillReachesASlowCallWhenAnotherCallOfTheStepFailedAtOnce() throws Exception {
    AgentResult r = stub("a-deadline-mixed").run(input("fake-slow-and-refused", new AgentLimits(10, null, null, 1_500L, 50)));

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.DEADLINE);
    assertThat(tools.slowStopped.await(10, TimeUnit.SECONDS)).as("the slow call was told to stop").isTrue();
  }

  @Test
  void cancellingTheTaskEndsItCanceledAndStopsTheRunningTool() throws Exception {
    AgentWorkflow agent = stub("a-cancel");
    WorkflowClient.start(agent::run, input("fake-slow", limits(10)));
    assertThat(tools.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
    WorkflowStub untyped = WorkflowStub.fromTyped(agent);
    untyped.cancel();

    assertThatThrownBy(() -> untyped.getResult(10, TimeUnit.SECONDS, AgentResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(tools.slowStopped.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(closed).extracting(TaskClosed::status).containsExactly("CANCELED");
  }

  @Test
  void aModelThatFailsForGoodFailsTheTask() {
    assertThatThrownBy(() -> stub("a-model-failed").run(input("fake-missing", limits(10))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ApplicationFailure.class)
        .satisfies(f -> assertThat(((ApplicationFailure) f).getType()).isEqualTo(AgentWorkflow.MODEL_FAILED))
        .hasMessageContaining("model call 1 failed: no model 'fake-missing'");
    assertThat(closed).extracting(TaskClosed::errorCode).containsExactly("model_failed");
  }

  @Test
  void aLongLoopContinuesAsNewCarryingItsTranscriptAndUsage() throws Exception {
    int maxSteps = 120;
    AgentWorkflow agent = stub("a-long");
    WorkflowExecution first = WorkflowClient.start(agent::run, input("fake-greedy", limits(maxSteps)));
    AgentResult r = WorkflowStub.fromTyped(agent).getResult(60, TimeUnit.SECONDS, AgentResult.class);

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.MAX_STEPS);
    assertThat(r.steps()).isEqualTo(maxSteps);
    assertThat(r.toolCalls()).isEqualTo(maxSteps);
    assertThat(r.usage().totalTokens()).isEqualTo(maxSteps * (ScriptedModel.INPUT_TOKENS + ScriptedModel.OUTPUT_TOKENS));
    var history = client.fetchHistory(first.getWorkflowId(), first.getRunId()).getHistory();
    assertThat(history.getEvents(history.getEventsCount() - 1).getEventType())
        .isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    assertThat(history.getEventsCount()).isLessThan(AgentWorkflowImpl.CONTINUE_AFTER_EVENTS + 50);
    // The last call saw the whole transcript: the user's message, then an answer and a tool result per step before it.
    ModelCallRequest last = model.requests.get(model.requests.size() - 1);
    assertThat(last.stepId()).isEqualTo("model-" + maxSteps);
    assertThat(last.body().path("messages")).hasSize(1 + 2 * (maxSteps - 1));
    assertThat(closed).extracting(TaskClosed::status).containsExactly("COMPLETED");
  }

  @Test
  void aLargeToolResultIsStoredOutsideTheHistoryAndTheModelStillReadsIt() {
    AgentResult r = stub("a-report").run(input("fake-report", limits(10)));

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.COMPLETED);
    String small = FakeAgentTools.report(12_000);
    String large = FakeAgentTools.report(40_000);
    // The model read the first result whole, and the second cut as any result is cut for it.
    String cutForModel = AgentTranscript.storedResultText(large, large.length());
    assertThat(cutForModel).startsWith(large.substring(0, AgentTranscript.MAX_RESULT_CHARS))
        .endsWith("[gatehouse: the result was cut at 16384 of its 40000 characters]");
    assertThat(r.content()).isEqualTo("read [12000, " + cutForModel.length() + "]");
    JsonNode read = model.seen.get(2).path("messages");
    assertThat(read.get(2).path("content").asText()).isEqualTo(small);
    assertThat(read.get(4).path("content").asText()).isEqualTo(cutForModel);
    assertThat(read.get(2).has(AgentTranscript.RESULT_MEMBER)).isFalse();
    // Every call of the loop asked for large results to be stored.
    assertThat(tools.calls).extracting(c -> c.storeOver()).containsOnly(AgentTranscript.STORE_RESULTS_OVER);
    assertThat(tools.stored.values()).containsExactlyInAnyOrder(small, large);
    // The workflow sent references with previews; that is all the history holds of the results.
    JsonNode sent = model.requests.get(2).body().path("messages");
    for (int i : new int[] {2, 4}) {
      JsonNode m = sent.get(i);
      assertThat(tools.stored).containsKey(m.path(AgentTranscript.RESULT_MEMBER).asText());
      assertThat(m.path("content").asText())
          .startsWith("[gatehouse: the result (" + (i == 2 ? 12_000 : 40_000) + " characters) is stored as res_")
          .endsWith(small.substring(0, dev.gatehouse.workflows.tool.ToolResults.PREVIEW_CHARS))
          .hasSizeLessThan(1_200);
    }
    var history = client.fetchHistory("a-report").getHistory();
    String events = history.toString();
    assertThat(events).contains("line 1 ").doesNotContain("line 100 ").doesNotContain("line 800 ");
    // Inline, the two results would be recorded four times over (each result, and each later request).
    assertThat(history.getSerializedSize()).isLessThan(20_000);
  }
}
