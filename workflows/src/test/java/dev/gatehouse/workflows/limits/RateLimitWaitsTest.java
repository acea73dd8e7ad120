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
  private final BucketTools bucket = new BucketTools();

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
    bucket.env = env;
    tools.shared = bucket;
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

    BucketTools shared;

    @Override
    public ToolCallResult call(ToolCallRequest request) {
      if (request.tool().equals(BucketTools.TOOL)) {
        return shared.call(request);
      }
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
   * A fake tool behind one token bucket, the way a rate-limit policy counts (a burst of {@code
   * CAPACITY}, refilled at {@code PER_SECOND}), on the test server's clock: a refused call is told
   * when the bucket will have its next request, as the policy tells it.
   */
  static final class BucketTools {
    static final String TOOL = "bucket";
    static final double CAPACITY = 1;
    static final double PER_SECOND = 2;
    TestWorkflowEnvironment env;
    private double tokens = CAPACITY;
    private long last = -1;
    final AtomicInteger refusals = new AtomicInteger();
    final Map<String, AtomicInteger> waits = new ConcurrentHashMap<>();

    synchronized ToolCallResult call(ToolCallRequest request) {
      long now = env.currentTimeMillis();
      tokens = last < 0 ? tokens : Math.min(CAPACITY, tokens + (now - last) / 1000.0 * PER_SECOND);
      last = now;
      if (tokens < 1) {
        refusals.incrementAndGet();
        waits.computeIfAbsent(request.stepId(), k -> new AtomicInteger()).incrementAndGet();
        long millis = (long) Math.ceil((1 - tokens) / PER_SECOND * 1000);
        throw RateLimitWaits.failure("rate limit rpm@1 allows 120 requests per minute per agent; retry after 1 s", Duration.ofMillis(millis));
      }
      tokens -= 1;
      return new ToolCallResult(200, JsonNodeFactory.instance.objectNode().put("step", request.stepId()));
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
  @Test
  void aPipelinesParallelStepsOnOneLimitAllCompleteThoughTheLimitTakesOneAtATime() {
    // 120 steps at once on a limit of 120 a minute with a burst of one: a minute's backlog, and
    // every refusal asks for at most half a second. With a jitter of at most three times the ask,
    // the steps that came last spent their 50 waits before the limit took them, and the task failed
    // as rate_limited; now the most any step waited was 14 times, with 824 refusals in all.
    int steps = 120;
    List<PipelineStep> list = new java.util.ArrayList<>();
    for (int i = 0; i < steps; i++) {
      list.add(new PipelineStep("s" + i, BucketTools.TOOL, JSON.createObjectNode(), List.of()));
    }
    PipelineInput in = new PipelineInput(JSON.createObjectNode(), new PipelineDefinition(list), Map.of(BucketTools.TOOL, ONE_ATTEMPT), CALLER);

    JsonNode out = stub(PipelineWorkflow.class, "rl-herd").run(in);

    for (int i = 0; i < steps; i++) {
      assertThat(out.path("s" + i).path("step").asText()).isEqualTo("s" + i);
    }
    int mostWaits = bucket.waits.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
    assertThat(mostWaits).as("no step came near its last wait").isLessThan(RateLimitWaits.MAX_WAITS / 2);
    assertThat(bucket.refusals.get()).as("refusals: about ten a step, not fifty").isLessThan(steps * 15);
  }

  @Test
  void theJitterDoublesWithEachWaitUpToItsSpan() {
    Duration ask = Duration.ofMillis(130);
    assertThat(RateLimitWaits.jitterSpan(ask, 1)).as("a short ask spreads over a quarter second at least").isEqualTo(250);
    assertThat(RateLimitWaits.jitterSpan(ask, 2)).isEqualTo(750);
    assertThat(RateLimitWaits.jitterSpan(ask, 6)).isEqualTo(250 * 63);
    assertThat(RateLimitWaits.jitterSpan(ask, 7)).isEqualTo(RateLimitWaits.MAX_JITTER_SPAN.toMillis());
    assertThat(RateLimitWaits.jitterSpan(ask, 50)).isEqualTo(RateLimitWaits.MAX_JITTER_SPAN.toMillis());
    assertThat(RateLimitWaits.waitFor(ask, 50, 0.0)).isEqualTo(ask);
    assertThat(RateLimitWaits.waitFor(ask, 50, 0.5)).isEqualTo(ask.plusSeconds(15));
    // A long ask: its first jitter is up to the ask, then up to three times it.
    Duration minutes = Duration.ofMinutes(30);
    assertThat(RateLimitWaits.jitterSpan(minutes, 1)).isEqualTo(minutes.toMillis());
    assertThat(RateLimitWaits.jitterSpan(minutes, 2)).isEqualTo(3.0 * minutes.toMillis());
    assertThat(RateLimitWaits.jitterSpan(minutes, 40)).isEqualTo(3.0 * minutes.toMillis());
    assertThat(RateLimitWaits.jitterSpan(Duration.ofMillis(Long.MAX_VALUE), 62)).isPositive();
  }

  /**
   * Many callers on one token bucket (a limit another caller has just emptied), each waiting as
   * a task's call does; simulated, without Temporal, over seeds. Every caller is admitted without
   * spending its waits: a herd spreads out until the limit can take it.
   */
  @Test
  void aHerdOnOneLimitSpreadsOutUntilTheLimitTakesIt() {
    int[][] cases = {{199, 200}, {500, 100}, {30, 60}};
    for (int[] c : cases) {
      for (long seed = 1; seed <= 5; seed++) {
        int callers = c[0];
        double perSecond = c[1] / 60.0;
        java.util.Random random = new java.util.Random(seed);
        java.util.PriorityQueue<double[]> due = new java.util.PriorityQueue<>((a, b) -> Double.compare(a[0], b[0]));
        for (int i = 0; i < callers; i++) {
          due.add(new double[] {0, 0});
        }
        double tokens = 0;
        double last = 0;
        int admitted = 0;
        int mostWaits = 0;
        int refusals = 0;
        while (!due.isEmpty()) {
          double[] call = due.poll();
          tokens = Math.min(c[1], tokens + (call[0] - last) * perSecond);
          last = call[0];
          if (tokens >= 1) {
            tokens -= 1;
            admitted++;
            mostWaits = Math.max(mostWaits, (int) call[1]);
            continue;
          }
          refusals++;
          int waits = (int) call[1];
          if (waits >= RateLimitWaits.MAX_WAITS) {
            continue;
          }
          Duration asked = Duration.ofMillis((long) Math.ceil((1 - tokens) / perSecond * 1000));
          Duration wait = RateLimitWaits.waitFor(asked, waits + 1, random.nextDouble());
          due.add(new double[] {call[0] + wait.toMillis() / 1000.0, waits + 1});
        }
        String what = callers + " callers at " + c[1] + "/min, seed " + seed;
        assertThat(admitted).as(what).isEqualTo(callers);
        assertThat(mostWaits).as(what).isLessThan(RateLimitWaits.MAX_WAITS);
        assertThat(refusals).as(what + ": refusals").isLessThan(callers * 20);
      }
    }
  }
}
