package dev.gatehouse.workflows.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.workflows.approval.ApprovalAudit;
import dev.gatehouse.workflows.approval.Approvals;
import dev.gatehouse.workflows.task.TaskIndexActivities;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Approvals in the agent loop ({@code fake-approval} asks for two calls of {@code danger}, which
 * needs approval, and one {@code lookup}, which does not): approved, denied, expired, refused
 * decisions that change nothing, and a cancel while the task waits.
 */
class AgentApprovalTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private TestWorkflowEnvironment env;
  private FakeAgentTools tools;
  private WorkflowClient client;
  /** What the approval audit was asked to write: "action callId,callId". */
  private final List<String> audited = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    env = AgentWorkflowTest.environment();
    Worker worker =
        env.newWorker(
            AgentWorkflowTest.QUEUE, WorkerOptions.newBuilder().setDefaultHeartbeatThrottleInterval(Duration.ofMillis(100)).build());
    worker.registerWorkflowImplementationTypes(
        ToolActivityDefaults.implementationOptions(Duration.ofSeconds(5)), AgentWorkflowImpl.class);
    tools = new FakeAgentTools();
    TaskIndexActivities index = c -> {};
    ApprovalAudit audit =
        (action, tenant, agent, calls) ->
            audited.add(action + " " + String.join(",", calls.stream().map(Approvals.Call::callId).toList()) + " " + tenant + "/" + agent);
    worker.registerActivitiesImplementations(new ScriptedModel(tools.stored), tools, index, audit);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private AgentWorkflow started(String id, AgentLimits limits) {
    AgentWorkflow wf =
        client.newWorkflowStub(
            AgentWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(AgentWorkflowTest.QUEUE).build());
    WorkflowClient.start(wf::run, AgentWorkflowTest.input("fake-approval", limits));
    return wf;
  }

  /** The pending calls, once both are asked for. */
  static List<Approvals.Call> pending(AgentWorkflow wf) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      List<Approvals.Call> calls = wf.approvals();
      if (calls.size() == 2) {
        return calls;
      }
      Thread.sleep(25);
    }
    throw new AssertionError("the calls were never asked for");
  }

  private static Approvals.Decision decision(Approvals.Call c, String what) {
    return new Approvals.Decision(c.callId(), what, c.argumentsSha256(), "checked by ops", "key_ops");
  }

  private static String refusal(Runnable decide) {
    try {
      decide.run();
    } catch (WorkflowUpdateException e) {
      // The engine keeps a refused update's message, not its failure type: the code leads the message.
      return Approvals.codeOf(((ApplicationFailure) e.getCause()).getOriginalMessage());
    }
    throw new AssertionError("the decision was accepted");
  }

  @Test
  void approvedCallsRunDeniedOnesDoNotAndTheModelReadsWhy() throws Exception {
    AgentWorkflow wf = started("ap-decide", AgentWorkflowTest.limits(5));
    List<Approvals.Call> calls = pending(wf);

    Approvals.Call first = calls.get(0);
    assertThat(first.callId()).isEqualTo("tool-1.1");
    assertThat(first.tool()).isEqualTo("danger");
    assertThat(first.status()).isEqualTo("pending");
    assertThat(first.argumentsSha256()).isEqualTo(Approvals.sha256(JSON.readTree("{\"why\":\"cleanup\",\"id\":7}")));
    assertThat(first.preview()).isEqualTo("{\"id\":7,\"why\":\"cleanup\"}");
    assertThat(first.deciders()).contains("ten_test");
    // Nothing ran while the task waited, not even the call that needs no approval.
    assertThat(tools.calls).isEmpty();

    Approvals.Call approved = wf.decide(decision(first, Approvals.APPROVE));
    assertThat(approved.status()).isEqualTo("approved");
    assertThat(approved.decidedBy()).isEqualTo("key_ops");
    assertThat(wf.decide(decision(calls.get(1), Approvals.DENY)).status()).isEqualTo("denied");

    AgentResult r = WorkflowStub.fromTyped(wf).getResult(10, TimeUnit.SECONDS, AgentResult.class);
    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.COMPLETED);
    assertThat(tools.calls).extracting(c -> c.stepId()).containsExactlyInAnyOrder("tool-1.1", "tool-1.3");
    // The request is audited by the task; the decisions by the admin API that takes them.
    assertThat(audited).containsExactly(ApprovalAudit.REQUESTED + " tool-1.1,tool-1.2 ten_test/agt_test");
    assertThat(r.content())
        .contains("c1={\"done\":7}")
        .contains("c2={\"error\":{\"code\":\"approval_denied\",\"message\":\"not run: an operator denied this call: checked by ops\"}}");
  }

  @Test
  void aDecisionForOtherArgumentsTwiceOrForNoCallIsRefusedAndChangesNothing() throws Exception {
    AgentWorkflow wf = started("ap-refused", AgentWorkflowTest.limits(5));
    List<Approvals.Call> calls = pending(wf);
    Approvals.Call first = calls.get(0);

    assertThat(refusal(() -> wf.decide(new Approvals.Decision(first.callId(), Approvals.APPROVE, "0".repeat(64), null, "key_ops"))))
        .isEqualTo(Approvals.MISMATCH);
    assertThat(refusal(() -> wf.decide(new Approvals.Decision("tool-9.9", Approvals.APPROVE, first.argumentsSha256(), null, "key_ops"))))
        .isEqualTo(Approvals.NOT_FOUND);
    assertThat(refusal(() -> wf.decide(decision(first, "maybe")))).isEqualTo(Approvals.INVALID);
    assertThat(wf.approvals()).extracting(Approvals.Call::status).containsExactly("pending", "pending");

    wf.decide(decision(first, Approvals.APPROVE));
    assertThat(refusal(() -> wf.decide(decision(first, Approvals.DENY)))).isEqualTo(Approvals.DECIDED);
    assertThat(wf.approvals().get(0).status()).isEqualTo("approved");

    wf.decide(decision(calls.get(1), Approvals.APPROVE));
    assertThat(WorkflowStub.fromTyped(wf).getResult(10, TimeUnit.SECONDS, AgentResult.class).stopReason())
        .isEqualTo(AgentWorkflow.COMPLETED);
    // Refused decisions left no trace in the history: two accepted updates in all.
    long accepted =
        client.fetchHistory("ap-refused").getEvents().stream()
            .filter(e -> e.getEventType() == io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
            .count();
    assertThat(accepted).isEqualTo(2);
  }

  @Test
  void anApprovalNoOneDecidesExpiresAsADenial() throws Exception {
    AgentWorkflow wf = started("ap-expired", new AgentLimits(5, null, null, null, 50, 60_000L));
    // Waiting for the result lets the test server skip time past the expiry.
    AgentResult r = WorkflowStub.fromTyped(wf).getResult(20, TimeUnit.SECONDS, AgentResult.class);

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.COMPLETED);
    assertThat(r.content()).contains("c1={\"error\":{\"code\":\"approval_expired\"").contains("c2={\"error\":{\"code\":\"approval_expired\"");
    assertThat(tools.calls).extracting(c -> c.tool()).containsExactly("lookup");
    assertThat(wf.approvals()).extracting(Approvals.Call::status).containsExactly("expired", "expired");
    assertThat(audited)
        .containsExactly(
            ApprovalAudit.REQUESTED + " tool-1.1,tool-1.2 ten_test/agt_test", ApprovalAudit.EXPIRED + " tool-1.1,tool-1.2 ten_test/agt_test");
  }

  @Test
  void aCallIsShownExpiringNoLaterThanTheLoopsDeadline() throws Exception {
    // The approval would wait a day; the loop ends in 10 minutes, and the call with it.
    AgentWorkflow wf = started("ap-shown-expiry", new AgentLimits(5, null, null, 600_000L, 50));
    Instant latest = Instant.ofEpochMilli(env.currentTimeMillis()).plusSeconds(601);
    for (Approvals.Call c : pending(wf)) {
      assertThat(Instant.parse(c.expiresAt())).isBefore(latest);
    }
    wf.approvals().forEach(c -> wf.decide(decision(c, Approvals.DENY)));
    assertThat(WorkflowStub.fromTyped(wf).getResult(10, TimeUnit.SECONDS, AgentResult.class).stopReason()).isEqualTo(AgentWorkflow.COMPLETED);

    // Without a deadline it is the approval's own.
    AgentWorkflow open = started("ap-own-expiry", new AgentLimits(5, null, null, null, 50, 3_600_000L));
    Instant now = Instant.ofEpochMilli(env.currentTimeMillis());
    for (Approvals.Call c : pending(open)) {
      assertThat(Instant.parse(c.expiresAt())).isBetween(now.plusSeconds(3_500), now.plusSeconds(3_601));
    }
  }

  @Test
  void theDeadlineEndsATaskThatWaitsForApprovalAndItsCallsCanNoLongerBeDecided() throws Exception {
    AgentWorkflow wf = started("ap-deadline", new AgentLimits(5, null, null, 30_000L, 50));
    AgentResult r = WorkflowStub.fromTyped(wf).getResult(20, TimeUnit.SECONDS, AgentResult.class);

    assertThat(r.stopReason()).isEqualTo(AgentWorkflow.DEADLINE);
    assertThat(tools.calls).isEmpty();
    assertThat(wf.approvals()).extracting(Approvals.Call::status).containsExactly("canceled", "canceled");
    assertThat(audited).last().asString().startsWith(ApprovalAudit.CANCELED + " tool-1.1,tool-1.2");
  }

  @Test
  void cancellingATaskThatWaitsForApprovalEndsItAndRunsNothing() throws Exception {
    AgentWorkflow wf = started("ap-cancel", AgentWorkflowTest.limits(5));
    pending(wf);
    WorkflowStub untyped = WorkflowStub.fromTyped(wf);
    untyped.cancel();

    assertThatThrownBy(() -> untyped.getResult(10, TimeUnit.SECONDS, AgentResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(tools.calls).isEmpty();
    assertThat(wf.approvals()).extracting(Approvals.Call::status).containsExactly("canceled", "canceled");
    assertThat(audited).last().asString().startsWith(ApprovalAudit.CANCELED + " tool-1.1,tool-1.2 ");
  }

  @Test
  void aDecisionThatComesAfterTheCancelIsRefusedAndTheUndecidedCallsEndCanceled() throws Exception {
    // Cancel and decide back to back, as an operator and the agent can at the same moment: the
    // engine hands the workflow both in one workflow task, the cancel request first.
    for (int n = 0; n < 5; n++) {
      audited.clear();
      AgentWorkflow wf = started("ap-cancel-race-" + n, AgentWorkflowTest.limits(5));
      List<Approvals.Call> calls = pending(wf);
      wf.decide(decision(calls.get(0), Approvals.APPROVE));
      WorkflowStub untyped = WorkflowStub.fromTyped(wf);
      untyped.cancel();
      String late;
      try {
        late = refusal(() -> wf.decide(decision(calls.get(1), Approvals.APPROVE)));
      } catch (io.temporal.client.WorkflowNotFoundException closedFirst) {
        late = "closed";
      }
      assertThat(late).as("round " + n).isIn(Approvals.CLOSED, "closed");

      assertThatThrownBy(() -> untyped.getResult(10, TimeUnit.SECONDS, AgentResult.class))
          .isInstanceOf(WorkflowFailedException.class)
          .hasCauseInstanceOf(CanceledFailure.class);
      assertThat(tools.calls).as("round " + n).isEmpty();
      // The call decided before the cancel keeps its decision; the other shows why it never will be.
      assertThat(wf.approvals()).extracting(Approvals.Call::status).containsExactly("approved", "canceled");
      assertThat(audited).last().asString().startsWith(ApprovalAudit.CANCELED + " tool-1.2 ");
    }
  }
}
