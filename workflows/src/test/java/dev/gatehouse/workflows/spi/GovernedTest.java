package dev.gatehouse.workflows.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.approval.ApprovalAudit;
import dev.gatehouse.workflows.approval.Approvals;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.task.TaskClosed;
import dev.gatehouse.workflows.task.TaskIndexActivities;
import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Governed}, the SPI's calls, in a workflow written the way teams write theirs: the
 * governed activities get the caller, step ids and the registry's retry policy; undeclared tools
 * and models are refused; approvals hold a call until an operator decides; a bug in the team's
 * code fails the task with a code instead of retrying its workflow task forever.
 */
class GovernedTest {
  static final String QUEUE = "governed-test";
  static final String TYPE = "test-governed";
  static final ObjectMapper JSON = new ObjectMapper();

  /** A team's workflow, scripted by its input: {@code ops} is a list of calls to make in order. */
  @WorkflowInterface
  public interface ScriptedWorkflow {
    @WorkflowMethod(name = TYPE)
    JsonNode run(TaskInput task);
  }

  public static class ScriptedWorkflowImpl implements ScriptedWorkflow {
    private static int depth(int n) {
      return depth(n + 1) + 1;
    }

    @Override
    public JsonNode run(TaskInput task) {
      Governed gw = Governed.of(task);
      // A second call in the same run is the same instance: the approval handlers are registered once.
      if (Governed.of(task) != gw) {
        throw new IllegalStateException("Governed.of gave two instances in one run");
      }
      ArrayNode out = JSON.createArrayNode();
      for (JsonNode op : gw.input().get("ops")) {
        String step = op.path("step").asText();
        switch (op.path("op").asText()) {
          case "tool" -> {
            try {
              out.add(gw.tool(step, op.get("tool").asText(), op.path("args")).output());
            } catch (ApplicationFailure f) {
              if (!op.path("catch").asBoolean()) {
                throw f;
              }
              out.add(f.getType());
            }
          }
          case "parallel" -> {
            var a = gw.toolAsync(step + "-a", op.get("tool").asText(), op.path("args"));
            var b = gw.toolAsync(step + "-b", op.get("tool").asText(), op.path("args"));
            out.add(a.get().output());
            out.add(b.get().output());
          }
          case "model" -> out.add(gw.model(step, op.get("model").asText(), JSON.createObjectNode().put("max_tokens", 5)).content());
          case "bug" -> out.add(op.get("missing").asText());
          case "leak" -> throw new IllegalStateException("cannot log in with password=hunter2; input was " + gw.input());
          case "assert" -> throw new AssertionError("password=hunter2");
          case "overflow" -> out.add(depth(0));
          default -> throw new IllegalArgumentException(op.toString());
        }
      }
      return out;
    }
  }

  /** A fake of the gateway's Tool.Call: fails the first attempts of tool {@code flaky}, echoes the rest. */
  static final class FakeTools implements ToolActivities {
    final List<ToolCallRequest> calls = new CopyOnWriteArrayList<>();
    final AtomicInteger flakyAttempts = new AtomicInteger();
    /** Tool {@code limited}: refused by a rate limit on its first 4 calls. */
    final AtomicInteger limitedCalls = new AtomicInteger();

    @Override
    public ToolCallResult call(ToolCallRequest request) {
      calls.add(request);
      if (request.tool().equals("limited") && limitedCalls.incrementAndGet() <= 4) {
        throw RateLimitWaits.failure("rate limit rpm@1 allows 1 requests per minute per agent; retry after 60 s", Duration.ofSeconds(60));
      }
      if (request.tool().equals("flaky") && flakyAttempts.incrementAndGet() < 3) {
        throw ApplicationFailure.newFailure("upstream busy", "UpstreamUnavailable");
      }
      return new ToolCallResult(200, JSON.createObjectNode().put("tool", request.tool()).put("step", request.stepId()));
    }
  }

  /** A fake of the gateway's Model.Call: answers with the alias it was asked under. */
  static final class FakeModel implements ModelActivities {
    final List<ModelCallRequest> calls = new CopyOnWriteArrayList<>();

    @Override
    public ModelCallResult call(ModelCallRequest request) {
      calls.add(request);
      String text = "model " + request.body().path("model").asText();
      return new ModelCallResult(text, JSON.createObjectNode().put("content", text), "stop", null, null, "fake", "fake", 1);
    }
  }

  TestWorkflowEnvironment env;
  WorkflowClient client;
  FakeTools tools;
  FakeModel model;
  final List<TaskClosed> closed = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkerFactoryOptions(
                    WorkerFactoryOptions.newBuilder().setWorkerInterceptors(new TaskIndexInterceptor(Set.of(TYPE))).build())
                .build());
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(ScriptedWorkflowImpl.class);
    tools = new FakeTools();
    model = new FakeModel();
    TaskIndexActivities index = closed::add;
    ApprovalAudit audit = (action, tenant, agent, calls) -> {};
    worker.registerActivitiesImplementations(tools, model, index, audit);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  static TaskInput input(ArrayNode ops) {
    ToolCallPolicy policy = new ToolCallPolicy(5_000, 3, 10, 1.0, 10);
    return new TaskInput(
        JSON.createObjectNode().set("ops", ops),
        new Caller("ten_a", "agt_a", List.of("scope:x")),
        Map.of(
            "echo", new ToolGrant(policy, false, null),
            "flaky", new ToolGrant(policy, false, null),
            "limited", new ToolGrant(new ToolCallPolicy(5_000, 1, 10, 1.0, 10), false, null),
            "guarded", new ToolGrant(policy, true, "ap1-1111111111111111")),
        Map.of("fast", new ModelCallPolicy(5_000, 1, 10, 1.0, 10)),
        Duration.ofMinutes(5).toMillis());
  }

  static ObjectNode op(String op, String step, String target) {
    ObjectNode o = JSON.createObjectNode().put("op", op).put("step", step);
    if (target != null) {
      o.put(op.equals("model") ? "model" : "tool", target);
    }
    return o;
  }

  WorkflowStub started(String id, ObjectNode... ops) {
    ArrayNode list = JSON.createArrayNode();
    for (ObjectNode o : ops) {
      list.add(o);
    }
    WorkflowStub stub = client.newUntypedWorkflowStub(TYPE, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
    stub.start(input(list));
    return stub;
  }

  @Test
  void aCallARateLimitRefusesWaitsAndIsMadeAgainThoughItsGrantAllowsOneAttempt() {
    JsonNode out = started("g-limited", op("tool", "one", "limited")).getResult(JsonNode.class);

    assertThat(out.get(0).get("tool").asText()).isEqualTo("limited");
    assertThat(tools.limitedCalls.get()).as("four refusals, each waited for, then the call").isEqualTo(5);
  }

  @Test
  void callsRunAsGovernedActivitiesWithTheCallerStepsAndTheToolsRetryPolicy() {
    JsonNode out =
        started("g-calls", op("tool", "one", "echo"), op("tool", "two", "flaky"), op("parallel", "par", "echo"), op("model", "ask", "fast"))
            .getResult(JsonNode.class);

    assertThat(out.get(0).get("step").asText()).isEqualTo("one");
    // Two failed attempts, then the third, as the grant's policy (3 attempts) allows.
    assertThat(tools.flakyAttempts.get()).isEqualTo(3);
    assertThat(out.get(1).get("tool").asText()).isEqualTo("flaky");
    assertThat(List.of(out.get(2).get("step").asText(), out.get(3).get("step").asText())).containsExactly("par-a", "par-b");
    assertThat(tools.calls).allSatisfy(c -> assertThat(c.caller()).isEqualTo(new Caller("ten_a", "agt_a", List.of("scope:x"))));
    assertThat(out.get(4).asText()).isEqualTo("model fast");
    assertThat(model.calls.get(0).stepId()).isEqualTo("ask");
    assertThat(model.calls.get(0).body().get("max_tokens").asInt()).isEqualTo(5);
  }

  @Test
  void aToolOrModelTheWorkflowDidNotDeclareOrAMalformedStepIdIsRefusedAndFailsTheTask() {
    assertThatThrownBy(() -> started("g-undeclared-tool", op("tool", "x", "other")).getResult(JsonNode.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .satisfies(c -> assertThat(((ApplicationFailure) c).getType()).isEqualTo(Governed.TOOL_NOT_DECLARED));
    assertThatThrownBy(() -> started("g-undeclared-model", op("model", "x", "slow")).getResult(JsonNode.class))
        .cause()
        .satisfies(c -> assertThat(((ApplicationFailure) c).getType()).isEqualTo(Governed.MODEL_NOT_DECLARED));
    assertThatThrownBy(() -> started("g-bad-step", op("tool", "../x#1", "echo")).getResult(JsonNode.class))
        .cause()
        .satisfies(c -> assertThat(((ApplicationFailure) c).getType()).isEqualTo(Governed.INVALID_STEP_ID));
    assertThat(tools.calls).isEmpty();
    assertThat(closed).extracting(TaskClosed::errorCode).containsExactly("tool_not_declared", "model_not_declared", "invalid_step_id");
  }

  @Test
  void aCallThatNeedsApprovalWaitsAndRepeatedStepsGetTheirOwnCallIds() throws Exception {
    WorkflowStub stub =
        started(
            "g-approval",
            op("tool", "file", "guarded"),
            op("tool", "file", "guarded").put("catch", true));
    Approvals.Call first = waitFor(stub, "file");
    assertThat(first.policyVersion()).isEqualTo("ap1-1111111111111111");
    assertThat(tools.calls).isEmpty();
    stub.update(Approvals.DECIDE, Approvals.Call.class, new Approvals.Decision("file", Approvals.APPROVE, first.argumentsSha256(), null, "key_ops"));
    Approvals.Call second = waitFor(stub, "file#2");
    stub.update(Approvals.DECIDE, Approvals.Call.class, new Approvals.Decision("file#2", Approvals.DENY, second.argumentsSha256(), "no", "key_ops"));

    JsonNode out = stub.getResult(JsonNode.class);
    assertThat(out.get(0).get("step").asText()).isEqualTo("file");
    assertThat(out.get(1).asText()).isEqualTo(Governed.APPROVAL_DENIED);
    assertThat(tools.calls).hasSize(1);
  }

  @Test
  void aBugInTheTeamsCodeFailsTheTaskWithTheExceptionsCode() {
    ObjectNode bug = JSON.createObjectNode().put("op", "bug");
    assertThatThrownBy(() -> started("g-bug", bug).getResult(JsonNode.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .satisfies(c -> assertThat(((ApplicationFailure) c).getType()).isEqualTo("NullPointerException"));
    assertThat(closed).singleElement().satisfies(c -> {
      assertThat(c.status()).isEqualTo("FAILED");
      assertThat(c.errorCode()).isEqualTo("null_pointer_exception");
    });
  }

  @Test
  void anErrorInTheTeamsCodeFailsTheTaskToo() {
    assertThatThrownBy(() -> started("g-assert", JSON.createObjectNode().put("op", "assert")).getResult(JsonNode.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .satisfies(c -> assertThat(((ApplicationFailure) c).getType()).isEqualTo("AssertionError"));
    assertThatThrownBy(() -> started("g-overflow", JSON.createObjectNode().put("op", "overflow")).getResult(JsonNode.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .satisfies(c -> assertThat(((ApplicationFailure) c).getType()).isEqualTo("StackOverflowError"));
    assertThat(closed).extracting(TaskClosed::status, TaskClosed::errorCode)
        .containsExactly(tuple("FAILED", "assertion_error"), tuple("FAILED", "stack_overflow_error"));
  }

  @Test
  void whatTheTeamsExceptionSaysStaysInTheWorkersLogNotInTheTaskOrItsHistory() {
    WorkflowStub stub = started("g-leak", JSON.createObjectNode().put("op", "leak"));
    assertThatThrownBy(() -> stub.getResult(JsonNode.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .satisfies(c -> {
          ApplicationFailure f = (ApplicationFailure) c;
          assertThat(f.getType()).isEqualTo("IllegalStateException");
          assertThat(f.getOriginalMessage()).isEqualTo("the workflow " + TYPE + " failed with IllegalStateException (the worker's log has the details)");
          assertThat(f.getCause()).as("no stack trace or message of the team's exception").isNull();
        });
    assertThat(closed).singleElement().satisfies(c -> assertThat(c.errorMessage()).doesNotContain("hunter2").contains("IllegalStateException"));
    String history = client.fetchHistory("g-leak").toJson(false);
    assertThat(history).doesNotContain("hunter2");
  }

  private static Approvals.Call waitFor(WorkflowStub stub, String callId) throws InterruptedException {
    for (int i = 0; i < 400; i++) {
      for (Approvals.Call c : stub.query(Approvals.PENDING, Approvals.Call[].class)) {
        if (c.callId().equals(callId) && c.pending()) {
          return c;
        }
      }
      Thread.sleep(25);
    }
    throw new AssertionError(callId + " never waited for approval");
  }
}
