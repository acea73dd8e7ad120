package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.policy.RateLimitStatus;
import dev.gatehouse.activities.task.TenantSlots;
import dev.gatehouse.activities.tool.Heartbeats;
import dev.gatehouse.workflows.agent.AgentInput;
import dev.gatehouse.workflows.agent.AgentLimits;
import dev.gatehouse.workflows.agent.AgentResult;
import dev.gatehouse.workflows.agent.AgentWorkflow;
import dev.gatehouse.workflows.agent.AgentWorkflowImpl;
import dev.gatehouse.workflows.model.EarlierAttempts;
import dev.gatehouse.workflows.model.ModelBudget;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An agent loop whose model step the engine tried again after the provider had answered (and
 * billed) an attempt that failed all the same: the real {@code Model.Call} activity, heartbeats
 * as a worker runs them, and a FAKE provider. What the earlier attempts were billed counts
 * against the task's {@code maxTokens} and {@code maxCost}: the next attempt may spend only what
 * is left after them, and the task's usage includes them, whether the step then answered, was
 * refused for the budget, or waited for a rate limit and was called again.
 */
class AgentBilledRetriesTest {
  private static final String QUEUE = "agent-billed-retries";
  private static final Caller CALLER = new Caller("ten_bill", "agt_bill", List.of());
  /** What every call of the fake provider uses when it answers: 300 tokens in, 100 out, for 0.04. */
  private static final ModelUsage USAGE = new ModelUsage(300, 0, 100, 0, false);
  private static final BigDecimal COST = new BigDecimal("0.04");
  /** The worst case the fake provider's budget check gives every call, in tokens and in cost. */
  private static final long WORST_TOKENS = 500;
  private static final BigDecimal WORST_COST = new BigDecimal("0.05");

  private TestWorkflowEnvironment env;
  private Heartbeats heartbeats;
  private final List<ModelCall> sent = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (env != null) {
      env.close();
    }
    if (heartbeats != null) {
      heartbeats.close();
    }
  }

  private AgentWorkflow agent(String taskId, Function<ModelCall, ModelAnswer> provider) {
    env = TestWorkflowEnvironment.newInstance();
    heartbeats = new Heartbeats(Duration.ofMillis(50));
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(ToolActivityDefaults.implementationOptions(Duration.ofSeconds(5)), AgentWorkflowImpl.class);
    Function<ModelCall, ModelAnswer> checked =
        call -> {
          sent.add(call);
          return provider.apply(call);
        };
    worker.registerActivitiesImplementations(new ModelActivitiesImpl(checked, (body, tenant, task) -> body, TenantSlots.unlimited(), heartbeats));
    env.start();
    return env.getWorkflowClient()
        .newWorkflowStub(AgentWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(taskId).setTaskQueue(QUEUE).build());
  }

  private static AgentInput input(Long maxTokens, String maxCost) {
    return new AgentInput(
        "m",
        List.of(JsonNodeFactory.instance.objectNode().put("role", "user").put("content", "hello")),
        List.of(),
        new AgentLimits(5, maxTokens, maxCost, null, 50),
        CALLER,
        new ModelCallPolicy(5_000, 3, 10, 1.0, 10),
        null,
        null);
  }

  /**
   * As the real invoker's task budget check does, with a fixed worst case: refuses a call whose
   * worst case passes what its budget has left, else answers with {@code answer}.
   */
  private static ModelAnswer withinBudget(ModelCall call, Function<ModelCall, ModelAnswer> answer) {
    ModelBudget budget = call.budget();
    if (budget != null
        && ((budget.maxTokens() != null && WORST_TOKENS > budget.maxTokens())
            || (budget.maxCost() != null && WORST_COST.compareTo(new BigDecimal(budget.maxCost())) > 0))) {
      throw new ModelCallException(ModelBudget.BUDGET_EXCEEDED, 400, "the task has not enough left", null, null, false);
    }
    return answer.apply(call);
  }

  /** An answer the provider billed but that has no message: the attempt fails (upstream_error) and is tried again. */
  private static ModelAnswer billedWithNoMessage(ModelCall call) {
    return new ModelAnswer((ObjectNode) JsonNodeFactory.instance.objectNode().set("choices", JsonNodeFactory.instance.arrayNode()), USAGE, COST, "fake", "fake-1", null);
  }

  private static ModelAnswer done(ModelCall call) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
        .putObject("message").put("role", "assistant").put("content", "done");
    return new ModelAnswer(body, USAGE, COST, "fake", "fake-1", null);
  }

  @Test
  void anAnswerAfterABilledFailedAttemptCountsBothAndTheRetrySpendsOnlyWhatIsLeft() {
    AgentResult r =
        agent("task_billed_retry", call -> withinBudget(call, call.attempt() == 1 ? AgentBilledRetriesTest::billedWithNoMessage : AgentBilledRetriesTest::done))
            .run(input(2_000L, "1.00"));

    assertThat(r.content()).isEqualTo("done");
    assertThat(sent).extracting(ModelCall::attempt).containsExactly(1, 2);
    assertThat(sent.get(0).budget()).isEqualTo(new ModelBudget(2_000L, "1.00"));
    assertThat(sent.get(1).budget()).as("the second attempt may spend what the first left").isEqualTo(new ModelBudget(1_600L, "0.96"));
    assertThat(r.usage().inputTokens()).isEqualTo(600);
    assertThat(r.usage().outputTokens()).isEqualTo(200);
    assertThat(new BigDecimal(r.usage().cost())).isEqualByComparingTo("0.08");

    ModelCallResult step = completedModelStep("task_billed_retry").orElseThrow();
    assertThat(step.earlierAttempts()).isEqualTo(new EarlierAttempts(1, 300, 100, "0.04"));
    assertThat(step.usage().inputTokens()).as("the answer's own usage").isEqualTo(300);
  }

  @Test
  void aRetryTheBudgetNoLongerCoversEndsTheTaskOnBudgetWithTheBilledAttemptCounted() {
    // 800 tokens: the first attempt (worst case 500) fits; after it was billed 400, the second does not.
    AgentResult r = agent("task_billed_budget", call -> withinBudget(call, AgentBilledRetriesTest::billedWithNoMessage)).run(input(800L, null));

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.BUDGET);
    assertThat(sent).as("the second attempt was refused before anything was sent").hasSize(2);
    assertThat(sent.get(1).budget().maxTokens()).isEqualTo(400L);
    assertThat(r.usage().totalTokens()).as("what the task was billed, never more than its limit").isEqualTo(400);
  }

  @Test
  void aRetryRefusedForARateLimitWaitsAndTheCallMadeAgainStillCountsTheBilledAttempt() {
    // Attempt 1 is billed and fails; attempt 2 a rate limit refuses: the loop waits and calls again
    // as a new activity, which knows nothing of attempt 1. The task counts it from the refusal.
    AgentResult r =
        agent(
                "task_billed_rate_limited",
                call -> {
                  long calls = sent.size();
                  if (calls == 1) {
                    return billedWithNoMessage(call);
                  }
                  if (calls == 2) {
                    throw new ModelCallException(
                        ModelCodes.RATE_LIMITED, 429, "rate limited", null, Duration.ofMillis(10), false,
                        new RateLimitStatus(null, null, Duration.ofMillis(10), "per-agent"));
                  }
                  return withinBudget(call, AgentBilledRetriesTest::done);
                })
            .run(input(2_000L, null));

    assertThat(r.content()).isEqualTo("done");
    assertThat(sent).extracting(ModelCall::attempt).containsExactly(1, 2, 1);
    assertThat(sent.get(2).budget().maxTokens()).as("the call made again was given what the billed attempt left").isEqualTo(1_600L);
    assertThat(r.usage().totalTokens()).isEqualTo(800);
  }

  /** The result of the task's model step, as its history recorded it. */
  private Optional<ModelCallResult> completedModelStep(String taskId) {
    for (HistoryEvent e : env.getWorkflowClient().fetchHistory(taskId).getHistory().getEventsList()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        return Optional.of(
            DefaultDataConverter.newDefaultInstance()
                .fromPayloads(0, Optional.of(e.getActivityTaskCompletedEventAttributes().getResult()), ModelCallResult.class, ModelCallResult.class));
      }
    }
    return Optional.empty();
  }
}
