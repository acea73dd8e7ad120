package dev.gatehouse.workflows.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.workflows.task.FailureCodes;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * No call of a task waits for a limit once the task's history has reached the cap, so many steps
 * that all wait cannot take the history to Temporal's limit (where the server would terminate the
 * task); and a history recorded before the cap existed, which waited past it, still replays. The
 * workflows here are {@link RateLimitWaits#call} with a cap of {@value #CAP} events instead of
 * {@link RateLimitWaits#HISTORY_CAP}, which would take 40,000 events to reach.
 */
class RateLimitWaitsHistoryCapTest {
  static final String QUEUE = "rate-limit-waits-cap";
  static final long CAP = 60;
  static final ToolCallPolicy ONE_ATTEMPT = new ToolCallPolicy(5_000, 1, 10, 1.0, 10);

  @WorkflowInterface
  public interface Waiting {
    @WorkflowMethod(name = "RateLimitWaitsCapTest")
    ToolCallResult run(String tool);
  }

  /** Waits with the cap. */
  public static class Capped implements Waiting {
    @Override
    public ToolCallResult run(String tool) {
      ToolActivities tools = Workflow.newActivityStub(ToolActivities.class, ONE_ATTEMPT.toActivityOptions());
      ToolCallRequest request = new ToolCallRequest("s", tool, JsonNodeFactory.instance.objectNode(), new Caller("ten_t", "agt_t", List.of()));
      return RateLimitWaits.call(() -> tools.call(request), CAP);
    }
  }

  /** Waits as the code before the cap did: up to {@link RateLimitWaits#MAX_WAITS} times, whatever the history's length. */
  public static class BeforeTheCap implements Waiting {
    @Override
    public ToolCallResult run(String tool) {
      ToolActivities tools = Workflow.newActivityStub(ToolActivities.class, ONE_ATTEMPT.toActivityOptions());
      ToolCallRequest request = new ToolCallRequest("s", tool, JsonNodeFactory.instance.objectNode(), new Caller("ten_t", "agt_t", List.of()));
      for (int waits = 0; ; waits++) {
        try {
          return tools.call(request);
        } catch (ActivityFailure failure) {
          Duration wait = RateLimitWaits.waitOf(failure);
          if (wait == null || waits >= RateLimitWaits.MAX_WAITS) {
            throw failure;
          }
          Workflow.sleep(RateLimitWaits.waitFor(wait, waits + 1));
        }
      }
    }
  }

  /** {@code refused-N} is refused (the worker's share, 1 s) on its first N calls, then answers. */
  static final class RefusingTools implements ToolActivities {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public ToolCallResult call(ToolCallRequest request) {
      int n = calls.incrementAndGet();
      if (n <= Integer.parseInt(request.tool().substring("refused-".length()))) {
        throw RateLimitWaits.overloaded("the tenant's share of this worker's call slots is in use", Duration.ofSeconds(1));
      }
      return new ToolCallResult(200, JsonNodeFactory.instance.objectNode().put("call", n));
    }
  }

  private TestWorkflowEnvironment env;
  private final RefusingTools tools = new RefusingTools();

  private Waiting start(Class<? extends Waiting> impl) {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(impl);
    worker.registerActivitiesImplementations(tools);
    env.start();
    return env.getWorkflowClient().newWorkflowStub(Waiting.class, WorkflowOptions.newBuilder().setWorkflowId("cap").setTaskQueue(QUEUE).build());
  }

  @AfterEach
  void stop() {
    if (env != null) {
      env.close();
    }
  }

  private WorkflowExecutionHistory history() {
    return env.getWorkflowClient().fetchHistory("cap");
  }

  private static long count(WorkflowExecutionHistory history, EventType type) {
    return history.getEvents().stream().map(HistoryEvent::getEventType).filter(type::equals).count();
  }

  @Test
  void aCallStopsWaitingOnceTheTasksHistoryHasReachedTheCap() throws Exception {
    Waiting capped = start(Capped.class);

    assertThatThrownBy(() -> capped.run("refused-40"))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> assertThat(FailureCodes.of(f.getType())).isEqualTo("overloaded"));
    WorkflowExecutionHistory history = history();
    // 40 refusals would have fitted in MAX_WAITS (50): the cap, not the count, ended the waiting
    assertThat(tools.calls.get()).isBetween(2, 39);
    assertThat(count(history, EventType.EVENT_TYPE_TIMER_FIRED)).isEqualTo(tools.calls.get() - 1);
    assertThat(history.getEvents()).hasSizeBetween((int) CAP, (int) CAP + 20);
    assertThat(count(history, EventType.EVENT_TYPE_MARKER_RECORDED)).as("the cap's version marker").isEqualTo(1);
    // and that history replays with the code that made it
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecution(history, Capped.class)).doesNotThrowAnyException();
  }

  @Test
  void belowTheCapACallWaitsAsBefore() {
    ToolCallResult r = start(Capped.class).run("refused-5");

    assertThat(r.output().path("call").asInt()).isEqualTo(6);
    assertThat(count(history(), EventType.EVENT_TYPE_MARKER_RECORDED)).as("no marker below the cap").isZero();
  }

  @Test
  void aHistoryThatWaitedPastTheCapBeforeTheCapExistedReplaysAsItRan() throws Exception {
    ToolCallResult r = start(BeforeTheCap.class).run("refused-30");
    assertThat(r.output().path("call").asInt()).isEqualTo(31);
    WorkflowExecutionHistory history = history();
    assertThat(history.getEvents().size()).as("waited well past the cap").isGreaterThan((int) CAP + 50);

    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecution(history, Capped.class)).doesNotThrowAnyException();
  }
}
