package dev.gatehouse.workflows.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.agent.AgentInput;
import dev.gatehouse.workflows.agent.AgentLimits;
import dev.gatehouse.workflows.agent.AgentResult;
import dev.gatehouse.workflows.agent.AgentTool;
import dev.gatehouse.workflows.agent.AgentWorkflow;
import dev.gatehouse.workflows.agent.AgentWorkflowImpl;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.model.ModelCallUsage;
import dev.gatehouse.workflows.pipeline.PipelineDefinition;
import dev.gatehouse.workflows.pipeline.PipelineInput;
import dev.gatehouse.workflows.pipeline.PipelineStep;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import dev.gatehouse.workflows.pipeline.PipelineWorkflowImpl;
import dev.gatehouse.workflows.task.FailureCodes;
import dev.gatehouse.workflows.task.TaskIndexActivities;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import dev.gatehouse.workflows.tool.ToolCallInput;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolCallWorkflow;
import dev.gatehouse.workflows.tool.ToolCallWorkflowImpl;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A call a rate limit refused waits inside the task and is made again, on every durable path: the
 * single durable tool call, a pipeline's tool and model steps, an agent loop's model and tool calls.
 * The refusals do not count against the step's attempts (each policy here allows one attempt); a
 * call refused more than {@link RateLimitWaits#MAX_WAITS} times fails as {@code rate_limited}; a
 * task waiting for a limit can be cancelled. Temporal's test server skips the timers' time.
 */
class RateLimitWaitsTest {
  static final String QUEUE = "rate-limit-waits";
  static final ObjectMapper JSON = new ObjectMapper();
  static final Caller CALLER = new Caller("ten_test", "agt_test", List.of());
  /** One attempt: a refusal that counted as an attempt would fail the step. */
  static final ToolCallPolicy ONE_ATTEMPT = new ToolCallPolicy(5_000, 1, 10, 1.0, 10);

  private TestWorkflowEnvironment env;
  private final LimitedTools tools = new LimitedTools();
  private final LimitedModel model = new LimitedModel();

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(
        ToolActivityDefaults.implementationOptions(Duration.ofSeconds(5)),
        ToolCallWorkflowImpl.class,
        PipelineWorkflowImpl.class,
        AgentWorkflowImpl.class);
    TaskIndexActivities index = closed -> {};
    worker.registerActivitiesImplementations(tools, model, index);
    env.start();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  /**
   * Fake tools: {@code limited-N} is refused by a rate limit on its first N calls (per step) with a
   * wait of 30 s, then answers; {@code always} is always refused.
   */
  static final class LimitedTools implements ToolActivities {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final CountDownLatch refusedOnce = new CountDownLatch(1);

    @Override
    public ToolCallResult call(ToolCallRequest request) {
      int n = calls.computeIfAbsent(request.stepId(), k -> new AtomicInteger()).incrementAndGet();
      int refusals = request.tool().equals("always") ? Integer.MAX_VALUE : Integer.parseInt(request.tool().substring("limited-".length()));
      if (n <= refusals) {
        refusedOnce.countDown();
        throw RateLimitWaits.failure("rate limit rpm@1 allows 2 requests per minute per agent; retry after 30 s", Duration.ofSeconds(30));
      }
      return new ToolCallResult(200, JsonNodeFactory.instance.objectNode().put("call", n));
    }
  }

  /**
   * A fake model, refused by a rate limit on the first call of each step; then it asks for tool
   * {@code limited-1} once and, once it has read the result, answers.
   */
  static final class LimitedModel implements ModelActivities {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    @Override
    public ModelCallResult call(ModelCallRequest request) {
      int n = calls.computeIfAbsent(request.stepId(), k -> new AtomicInteger()).incrementAndGet();
      if (n == 1) {
        throw RateLimitWaits.failure("rate limit tpm@1 allows 1000 tokens per minute per agent; retry after 5 s", Duration.ofSeconds(5));
      }
      boolean sawTool = false;
      for (JsonNode m : request.body().path("messages")) {
        sawTool |= "tool".equals(m.path("role").asText());
      }
      ObjectNode message = JsonNodeFactory.instance.objectNode().put("role", "assistant");
      if (request.stepId().startsWith("model-") && !sawTool) {
        message.putNull("content");
        ObjectNode c = message.putArray("tool_calls").addObject().put("id", "c1").put("type", "function");
        c.putObject("function").put("name", "limited-1").put("arguments", "{}");
        return new ModelCallResult(null, message, "tool_calls", new ModelCallUsage(10, 0, 5, 0, false), null, "fake", "fake-1", 1);
      }
      message.put("content", "done after " + n + " calls");
      return new ModelCallResult(
          "done after " + n + " calls", message, "stop", new ModelCallUsage(10, 0, 5, 0, false), null, "fake", "fake-1", 1);
    }
  }

  private <T> T stub(Class<T> type, String id) {
    return env.getWorkflowClient().newWorkflowStub(type, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
  }

  private long timers(String workflowId) {
    return env.getWorkflowClient().fetchHistory(workflowId).getEvents().stream()
        .map(HistoryEvent::getEventType)
        .filter(t -> t == EventType.EVENT_TYPE_TIMER_FIRED)
        .count();
  }

  @Test
  void aDurableToolCallWaitsForTheLimitAndCompletesThoughItsPolicyAllowsOneAttempt() {
    ToolCallResult r =
        stub(ToolCallWorkflow.class, "rl-tool").run(new ToolCallInput("limited-3", JSON.createObjectNode(), CALLER, ONE_ATTEMPT));

    assertThat(r.output().path("call").asInt()).isEqualTo(4);
    assertThat(tools.calls.get(ToolCallWorkflow.STEP_ID).get()).isEqualTo(4);
    assertThat(timers("rl-tool")).as("one durable timer per wait").isEqualTo(3);
  }

  @Test
  void aPipelineStepWaitsWhileTheOtherStepsGoOn() {
    PipelineStep limited = new PipelineStep("limited", "limited-2", JSON.createObjectNode(), List.of());
    PipelineStep free = new PipelineStep("free", "limited-0", JSON.createObjectNode(), List.of());
    PipelineStep after = new PipelineStep("after", "limited-0", JSON.createObjectNode(), List.of("limited"));
    ObjectNode messages = JSON.createObjectNode();
    PipelineStep modelStep =
        new PipelineStep(
            "ask", null, null, "fake", JSON.createArrayNode().add(messages.put("role", "user").put("content", "hi")), 10, List.of());
    PipelineInput in =
        new PipelineInput(
            JSON.createObjectNode(),
            new PipelineDefinition(List.of(limited, free, after, modelStep)),
            Map.of("limited-2", ONE_ATTEMPT, "limited-0", ONE_ATTEMPT),
            CALLER,
            Map.of("fake", new ModelCallPolicy(5_000, 1, 10, 1.0, 10)));

    JsonNode out = stub(PipelineWorkflow.class, "rl-pipeline").run(in);

    assertThat(out.path("limited").path("call").asInt()).isEqualTo(3);
    assertThat(out.path("free").path("call").asInt()).isEqualTo(1);
    assertThat(out.path("after").path("call").asInt()).isEqualTo(1);
    assertThat(model.calls.get("ask").get()).isEqualTo(2);
    assertThat(timers("rl-pipeline")).isEqualTo(3);
  }

  @Test
  void anAgentLoopsModelAndToolCallsWaitWithinTheTask() {
    ToolCallPolicy policy = ONE_ATTEMPT;
    AgentInput in =
        new AgentInput(
            "fake",
            List.of(JSON.createObjectNode().put("role", "user").put("content", "go")),
            List.of(new AgentTool("limited-1", "limited-1", "A limited tool.", null, policy)),
            new AgentLimits(10, null, null, null, 50),
            CALLER,
            new ModelCallPolicy(5_000, 1, 10, 1.0, 10),
            null,
            null);

    AgentResult r = stub(AgentWorkflow.class, "rl-agent").run(in);

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.COMPLETED);
    assertThat(r.content()).isEqualTo("done after 2 calls");
    assertThat(model.calls.get("model-1").get()).as("refused once, then asked for the tool").isEqualTo(2);
    assertThat(tools.calls.get("tool-1.1").get()).as("refused once, then answered").isEqualTo(2);
    assertThat(r.steps()).isEqualTo(2);
  }

  @Test
  void aCallRefusedMoreThanTheMostWaitsFailsAsRateLimited() {
    assertThatThrownBy(
            () -> stub(ToolCallWorkflow.class, "rl-always").run(new ToolCallInput("always", JSON.createObjectNode(), CALLER, ONE_ATTEMPT)))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> assertThat(FailureCodes.of(f.getType())).isEqualTo("rate_limited"));
    assertThat(tools.calls.get(ToolCallWorkflow.STEP_ID).get()).isEqualTo(RateLimitWaits.MAX_WAITS + 1);
  }

  @Test
  void aTaskWaitingForALimitCanBeCancelled() throws Exception {
    PipelineInput in =
        new PipelineInput(
            JSON.createObjectNode(),
            new PipelineDefinition(List.of(new PipelineStep("limited", "always", JSON.createObjectNode(), List.of()))),
            Map.of("always", ONE_ATTEMPT),
            CALLER);
    WorkflowClient.start(stub(PipelineWorkflow.class, "rl-cancel")::run, in);
    assertThat(tools.refusedOnce.await(10, TimeUnit.SECONDS)).isTrue();
    env.getWorkflowClient().newUntypedWorkflowStub("rl-cancel").cancel();

    assertThatThrownBy(() -> env.getWorkflowClient().newUntypedWorkflowStub("rl-cancel").getResult(JsonNode.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(tools.calls.get("limited").get()).as("stopped waiting, not refused to the end").isLessThan(RateLimitWaits.MAX_WAITS);
  }

  @Test
  void onlyANonRetryableFailureOfTheTypeWithAWaitIsARateLimitsRefusal() {
    assertThat(RateLimitWaits.waitOf(RateLimitWaits.failure("x", Duration.ofMillis(1500)))).isEqualTo(Duration.ofMillis(1500));
    assertThat(RateLimitWaits.waitOf(ApplicationFailure.newFailure("provider 429", "rate_limited"))).isNull();
    assertThat(RateLimitWaits.waitOf(ApplicationFailure.newFailure("x", ToolFailureTypes.RATE_LIMITED, 1000L))).isNull();
    assertThat(RateLimitWaits.waitOf(ApplicationFailure.newNonRetryableFailure("x", ToolFailureTypes.UPSTREAM_ERROR, 1000L))).isNull();
    // The worker's refusal for the tenant's share of its slots waits the same way.
    assertThat(RateLimitWaits.waitOf(RateLimitWaits.overloaded("x", Duration.ofSeconds(2)))).isEqualTo(Duration.ofSeconds(2));
    assertThat(RateLimitWaits.waitOf(ApplicationFailure.newFailure("x", ToolFailureTypes.OVERLOADED, 1000L))).isNull();
  }
}
