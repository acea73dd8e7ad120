package com.example.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.approval.ApprovalAudit;
import dev.gatehouse.workflows.approval.Approvals;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.model.ModelCallUsage;
import dev.gatehouse.workflows.spi.InvalidTaskInputException;
import dev.gatehouse.workflows.spi.TaskInput;
import dev.gatehouse.workflows.spi.ToolGrant;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The triage against Temporal's test environment, with fakes (named as such) for the helpdesk,
 * the knowledge base and the model: what a team tests before its workflow meets a real gateway.
 * Also records the history that {@link TriageReplayTest} replays.
 */
class TriageWorkflowTest {
  static final String QUEUE = "triage-test";
  static final ObjectMapper JSON = new ObjectMapper();

  TestWorkflowEnvironment env;
  WorkflowClient client;
  FakeHelpdesk helpdesk;
  FakeModel model;
  List<String> audited;

  /** A fake of the gateway's Tool.Call: the helpdesk and the knowledge base, recording every call. */
  static final class FakeHelpdesk implements ToolActivities {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile JsonNode filed;

    @Override
    public ToolCallResult call(dev.gatehouse.workflows.tool.ToolCallRequest request) {
      calls.add(request.stepId() + ":" + request.tool());
      ObjectNode out = JSON.createObjectNode();
      switch (request.tool()) {
        case TriageWorkflowType.GET_TICKET ->
            out.put("id", request.args().get("id").textValue())
                .put("subject", "Charged twice for March")
                .put("body", "My card was charged twice for the March invoice.")
                .put("customer", "cus_42");
        case TriageWorkflowType.SEARCH_KB -> {
          var a = out.putArray("articles");
          for (int i = 1; i <= 5; i++) {
            a.addObject().put("id", "kb-" + i).put("title", "Billing article " + i);
          }
        }
        case TriageWorkflowType.CREATE_TICKET -> {
          filed = request.args();
          out.put("id", "T-9001");
        }
        default -> throw new IllegalArgumentException(request.tool());
      }
      return new ToolCallResult(200, out);
    }
  }

  /** A fake of the gateway's Model.Call: answers with a scripted text. */
  static final class FakeModel implements ModelActivities {
    volatile String answer =
        "{\"category\": \"billing\", \"priority\": \"high\", \"summary\": \"Customer was charged twice for March.\"}";
    volatile ObjectNode lastBody;

    @Override
    public ModelCallResult call(dev.gatehouse.workflows.model.ModelCallRequest request) {
      lastBody = request.body();
      return new ModelCallResult(
          answer, JSON.createObjectNode().put("role", "assistant").put("content", answer), "stop",
          new ModelCallUsage(50, 0, 20, 0, false), "0.0001", "fake-provider", "fake-model", 1);
    }
  }

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(TriageWorkflowImpl.class);
    helpdesk = new FakeHelpdesk();
    model = new FakeModel();
    audited = new CopyOnWriteArrayList<>();
    ApprovalAudit audit = (action, tenant, agent, calls) -> audited.add(action + " " + calls.get(0).callId());
    worker.registerActivitiesImplementations(helpdesk, model, audit);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  static TaskInput input(String ticketId) {
    ToolCallPolicy policy = new ToolCallPolicy(5_000, 3, 100, 2.0, 1_000);
    return new TaskInput(
        JSON.createObjectNode().put("ticketId", ticketId),
        new Caller("ten_acme", "agt_support", List.of()),
        Map.of(
            TriageWorkflowType.GET_TICKET, new ToolGrant(policy, false, null),
            TriageWorkflowType.SEARCH_KB, new ToolGrant(policy, false, null),
            TriageWorkflowType.CREATE_TICKET, new ToolGrant(policy, true, "ap1-0123456789abcdef")),
        Map.of(TriageWorkflowType.MODEL, new ModelCallPolicy(10_000, 2, 100, 2.0, 1_000)),
        Duration.ofHours(8).toMillis());
  }

  WorkflowStub start(String id, String ticketId) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            TriageWorkflow.NAME, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(QUEUE).build());
    stub.start(input(ticketId));
    return stub;
  }

  /** The calls waiting for approval, once there is one. */
  static Approvals.Call pending(WorkflowStub stub) throws InterruptedException {
    for (int i = 0; i < 400; i++) {
      Approvals.Call[] calls = stub.query(Approvals.PENDING, Approvals.Call[].class);
      if (calls.length > 0 && calls[0].pending()) {
        return calls[0];
      }
      Thread.sleep(25);
    }
    throw new AssertionError("no call waits for approval");
  }

  static Approvals.Call decide(WorkflowStub stub, Approvals.Call c, String decision) {
    return stub.update(
        Approvals.DECIDE, Approvals.Call.class, new Approvals.Decision(c.callId(), decision, c.argumentsSha256(), "checked", "key_ops"));
  }

  @Test
  void anApprovedTriageFilesTheTicketInTheModelsQueue() throws Exception {
    WorkflowStub stub = start("triage-approved", "T-1001");
    Approvals.Call waiting = pending(stub);
    assertEquals("create-ticket", waiting.callId());
    assertEquals(TriageWorkflowType.CREATE_TICKET, waiting.tool());
    assertEquals("ap1-0123456789abcdef", waiting.policyVersion());
    assertTrue(waiting.preview().contains("\"queue\":\"billing\""), waiting.preview());
    // Nothing is filed while the call waits.
    assertEquals(List.of("read-ticket:" + TriageWorkflowType.GET_TICKET, "search-kb:" + TriageWorkflowType.SEARCH_KB), helpdesk.calls);

    assertEquals("approved", decide(stub, waiting, Approvals.APPROVE).status());
    JsonNode result = stub.getResult(JsonNode.class);

    assertEquals("filed", result.get("status").textValue());
    assertEquals("T-9001", result.get("filed").textValue());
    assertEquals("billing", result.get("category").textValue());
    assertEquals("high", result.get("priority").textValue());
    assertEquals("model", result.get("classifiedBy").textValue());
    assertEquals(List.of("kb-1", "kb-2", "kb-3"), JSON.convertValue(result.get("articles"), List.class));
    assertEquals("billing", helpdesk.filed.get("queue").textValue());
    assertEquals("T-1001", helpdesk.filed.get("source").textValue());
    // The model was asked with the ticket and at most three articles, under the declared alias.
    assertEquals(TriageWorkflowType.MODEL, model.lastBody.get("model").textValue());
    String asked = model.lastBody.get("messages").get(1).get("content").textValue();
    assertTrue(asked.contains("Charged twice") && asked.contains("[kb-3]") && !asked.contains("[kb-4]"), asked);
    assertEquals(List.of(ApprovalAudit.REQUESTED + " create-ticket"), audited);

    WorkflowExecutionHistory history = client.fetchHistory("triage-approved");
    Path out = Path.of("target", "recorded-histories", "support-triage.json");
    Files.createDirectories(out.getParent());
    Files.writeString(out, history.toJson(true));
    WorkflowReplayer.replayWorkflowExecution(history, TriageWorkflowImpl.class);
  }

  @Test
  void aDeniedFilingIsNotRunAndTheResultSaysSo() throws Exception {
    WorkflowStub stub = start("triage-denied", "T-1002");
    decide(stub, pending(stub), Approvals.DENY);
    JsonNode result = stub.getResult(JsonNode.class);
    assertEquals("denied", result.get("status").textValue());
    assertTrue(result.get("filed").isNull());
    assertNull(helpdesk.filed);
  }

  @Test
  void aDecisionForOtherArgumentsIsRefusedAndChangesNothing() throws Exception {
    WorkflowStub stub = start("triage-mismatch", "T-1003");
    Approvals.Call c = pending(stub);
    Exception refused =
        assertThrows(
            Exception.class,
            () -> stub.update(Approvals.DECIDE, Approvals.Call.class, new Approvals.Decision(c.callId(), Approvals.APPROVE, "0".repeat(64), null, "key_ops")));
    assertEquals(Approvals.MISMATCH, Approvals.codeOf(rootMessage(refused)));
    Exception otherPolicy =
        assertThrows(
            Exception.class,
            () ->
                stub.update(
                    Approvals.DECIDE, Approvals.Call.class,
                    new Approvals.Decision(c.callId(), Approvals.APPROVE, c.argumentsSha256(), null, "key_ops", "ap1-ffffffffffffffff")));
    assertEquals(Approvals.MISMATCH, Approvals.codeOf(rootMessage(otherPolicy)));
    assertTrue(pending(stub).pending());
    decide(stub, c, Approvals.APPROVE);
    assertEquals("filed", stub.getResult(JsonNode.class).get("status").textValue());
  }

  @Test
  void nobodyDecidingInTimeCountsAsADenial() {
    WorkflowStub stub = start("triage-expired", "T-1004");
    // The test server skips time while the workflow only waits: the 8 hours pass at once.
    JsonNode result = stub.getResult(JsonNode.class);
    assertEquals("expired", result.get("status").textValue());
    assertNull(helpdesk.filed);
    assertEquals(List.of(ApprovalAudit.REQUESTED + " create-ticket", ApprovalAudit.EXPIRED + " create-ticket"), audited);
  }

  @Test
  void anAnswerThatIsNotTheJsonAskedForFallsBack() throws Exception {
    model.answer = "I think this is about money.";
    WorkflowStub stub = start("triage-fallback", "T-1005");
    decide(stub, pending(stub), Approvals.APPROVE);
    JsonNode result = stub.getResult(JsonNode.class);
    assertEquals("other", result.get("category").textValue());
    assertEquals("fallback", result.get("classifiedBy").textValue());
    assertEquals("Charged twice for March", result.get("summary").textValue());
  }

  @Test
  void theInputIsCheckedBeforeATaskStarts() {
    TriageWorkflowType type = new TriageWorkflowType();
    assertThrows(InvalidTaskInputException.class, () -> type.validate(JSON.createObjectNode()));
    assertThrows(InvalidTaskInputException.class, () -> type.validate(JSON.createObjectNode().put("ticketId", 7)));
    assertThrows(InvalidTaskInputException.class, () -> type.validate(JSON.createObjectNode().put("ticketId", "T 1")));
    assertThrows(
        InvalidTaskInputException.class, () -> type.validate(JSON.createObjectNode().put("ticketId", "T-1").put("extra", true)));
    org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> type.validate(JSON.createObjectNode().put("ticketId", "T-1")));
  }

  /** The message of a refused decision (the engine keeps a refused update's message, not its failure type). */
  static String rootMessage(Throwable e) {
    return e instanceof WorkflowUpdateException u && u.getCause() instanceof ApplicationFailure f ? f.getOriginalMessage() : null;
  }
}
