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
 * No call of a task waits for a limit once the task's history has reached the cap of events or of
 * bytes, so many steps that all wait, or one large call that waits many times, cannot take the
 * history to Temporal's limits (where the server would terminate the task); and a history recorded
 * before a cap existed, which waited past it, still replays. The workflows here are {@link
 * RateLimitWaits#call} with a cap of {@value #CAP} events or {@value #BYTES_CAP} bytes instead of
 * {@link RateLimitWaits#HISTORY_CAP} and {@link RateLimitWaits#HISTORY_BYTES_CAP}, which would take
 * 40,000 events or 20 MiB to reach.
 */
class RateLimitWaitsHistoryCapTest {
  static final String QUEUE = "rate-limit-waits-cap";
  static final long CAP = 60;
  static final long BYTES_CAP = 1024 * 1024;
  /** The text the arguments of a call to a {@code big-} tool carry: 100,000 characters. */
  static final String BIG = "x".repeat(100_000);
  static final ToolCallPolicy ONE_ATTEMPT = new ToolCallPolicy(5_000, 1, 10, 1.0, 10);

  @WorkflowInterface
  public interface Waiting {
    @WorkflowMethod(name = "RateLimitWaitsCapTest")
    ToolCallResult run(String tool);
  }

  /** Waits with the cap of events. */
  public static class Capped implements Waiting {
    @Override
    public ToolCallResult run(String tool) {
      ToolActivities tools = Workflow.newActivityStub(ToolActivities.class, ONE_ATTEMPT.toActivityOptions());
      return RateLimitWaits.call(() -> tools.call(request(tool)), CAP, Long.MAX_VALUE);
    }
  }

  /** Waits with the cap of bytes. */
  public static class SizeCapped implements Waiting {
    @Override
    public ToolCallResult run(String tool) {
      ToolActivities tools = Workflow.newActivityStub(ToolActivities.class, ONE_ATTEMPT.toActivityOptions());
      return RateLimitWaits.call(() -> tools.call(request(tool)), Long.MAX_VALUE, BYTES_CAP);
    }
  }

  /** A call of {@code tool}; a {@code big-} tool's arguments hold {@link #BIG}. */
  static ToolCallRequest request(String tool) {
    var args = JsonNodeFactory.instance.objectNode();
    if (tool.startsWith("big-")) {
      args.put("text", BIG);
    }
    return new ToolCallRequest("s", tool, args, new Caller("ten_t", "agt_t", List.of()));
  }

  /** Waits as the code before the cap did: up to {@link RateLimitWaits#MAX_WAITS} times, whatever the history's length. */
  public static class BeforeTheCap implements Waiting {
    @Override
    public ToolCallResult run(String tool) {
      ToolActivities tools = Workflow.newActivityStub(ToolActivities.class, ONE_ATTEMPT.toActivityOptions());
      ToolCallRequest request = request(tool);
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

  /** {@code refused-N} and {@code big-refused-N} are refused (the worker's share, 1 s) on their first N calls, then answer. */
  static final class RefusingTools implements ToolActivities {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public ToolCallResult call(ToolCallRequest request) {
      int n = calls.incrementAndGet();
      if (n <= Integer.parseInt(request.tool().substring(request.tool().indexOf("refused-") + "refused-".length()))) {
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

  @Test
  void aLargeCallStopsWaitingOnceTheTasksHistoryHasReachedTheCapOfBytes() throws Exception {
    Waiting capped = start(SizeCapped.class);

    assertThatThrownBy(() -> capped.run("big-refused-40"))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> assertThat(FailureCodes.of(f.getType())).isEqualTo("overloaded"));
    WorkflowExecutionHistory history = history();
    // each call records its 100 KB of arguments: about ten fit in the cap, far from the 40 refusals
    assertThat(tools.calls.get()).isBetween(8, 13);
    assertThat(history.getHistory().getSerializedSize()).as("the cap and the last call").isBetween((int) BYTES_CAP, (int) BYTES_CAP + 250_000);
    assertThat(count(history, EventType.EVENT_TYPE_MARKER_RECORDED)).as("the size cap's version marker").isEqualTo(1);
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecution(history, SizeCapped.class)).doesNotThrowAnyException();
  }

  @Test
  void aHistoryThatWaitedPastTheCapOfBytesBeforeItExistedReplaysAsItRan() throws Exception {
    ToolCallResult r = start(BeforeTheCap.class).run("big-refused-20");
    assertThat(r.output().path("call").asInt()).isEqualTo(21);
    WorkflowExecutionHistory history = history();
    assertThat(history.getHistory().getSerializedSize()).as("waited well past the cap").isGreaterThan((int) BYTES_CAP * 3 / 2);

    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecution(history, SizeCapped.class)).doesNotThrowAnyException();
  }
}
