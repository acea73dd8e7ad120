package dev.gatehouse.workflows.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.workflows.approval.ApprovalAudit;
import dev.gatehouse.workflows.approval.Approvals;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.task.TaskIndexActivities;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Records agent-loop histories (under {@code target/recorded-histories/}, to copy into {@code
 * src/test/resources/histories/} when the workflow changes on purpose; see docs/workflows.md) and
 * checks that the committed ones show what they are kept for. Every committed history is replayed
 * against the current code by {@code PipelineHistoryTest}.
 */
class AgentHistoryTest {
  static final String AGENT = "histories/agent.json";
  static final String CONTINUED = "histories/agent-continued-as-new.json";
  static final String DEADLINE = "histories/agent-deadline.json";
  static final String APPROVAL = "histories/agent-approval.json";
  static final String STORED = "histories/agent-stored-result.json";
  static final String APPROVAL_CANCELED = "histories/agent-approval-canceled.json";
  /** Recorded before a cancel marked the undecided calls canceled (no version marker). */
  static final String APPROVAL_CANCELED_V0 = "histories/agent-approval-canceled-v0.json";
  /** The recorded long loop continues as new after this many events, to keep the committed file small. */
  static final int SMALL_RUNS = 150;

  @Test
  void recordsALoopWithParallelAndRefusedToolCallsThatReplays() throws Exception {
    WorkflowExecutionHistory h = record("recorded-agent", AgentWorkflowTest.input("fake-forbidden", AgentWorkflowTest.limits(5)));
    write("agent.json", h);
    replay(h);
  }

  @Test
  void recordsTheFirstRunOfALoopThatContinuesAsNewThatReplays() throws Exception {
    WorkflowExecutionHistory h = record("recorded-agent-long", AgentWorkflowTest.input("fake-greedy", AgentWorkflowTest.limits(100), SMALL_RUNS));
    assertThat(last(h)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    write("agent-continued-as-new.json", h);
    replay(h);
  }

  @Test
  void recordsADeadlineThatCancelsARunningToolThatReplays() throws Exception {
    WorkflowExecutionHistory h =
        record("recorded-agent-deadline", AgentWorkflowTest.input("fake-slow", new AgentLimits(5, null, null, 1_000L, 50)));
    write("agent-deadline.json", h);
    replay(h);
  }

  @Test
  void recordsAnApprovalWaitThatReplays() throws Exception {
    WorkflowExecutionHistory h =
        record(
            "recorded-agent-approval",
            AgentWorkflowTest.input("fake-approval", AgentWorkflowTest.limits(5)),
            wf -> {
              List<Approvals.Call> calls = AgentApprovalTest.pending(wf);
              Approvals.Call first = calls.get(0);
              wf.decide(new Approvals.Decision(first.callId(), Approvals.APPROVE, first.argumentsSha256(), "ok", "key_ops"));
              Approvals.Call second = calls.get(1);
              wf.decide(new Approvals.Decision(second.callId(), Approvals.DENY, second.argumentsSha256(), "no", "key_ops"));
            });
    write("agent-approval.json", h);
    replay(h);
  }

  @Test
  void recordsACancelWhileTheTaskWaitsForApprovalThatReplays() throws Exception {
    WorkflowExecutionHistory h =
        record(
            "recorded-agent-approval-canceled",
            AgentWorkflowTest.input("fake-approval", AgentWorkflowTest.limits(5)),
            wf -> {
              List<Approvals.Call> calls = AgentApprovalTest.pending(wf);
              Approvals.Call first = calls.get(0);
              wf.decide(new Approvals.Decision(first.callId(), Approvals.APPROVE, first.argumentsSha256(), "ok", "key_ops"));
              io.temporal.client.WorkflowStub.fromTyped(wf).cancel();
            });
    write("agent-approval-canceled.json", h);
    replay(h);
  }

  @Test
  void recordsALoopWhoseLargeToolResultsAreStoredThatReplays() throws Exception {
    WorkflowExecutionHistory h = record("recorded-agent-stored", AgentWorkflowTest.input("fake-report", AgentWorkflowTest.limits(5)));
    write("agent-stored-result.json", h);
    replay(h);
  }

  @Test
  void theCommittedStoredResultHistoryHoldsReferencesAndPreviewsNotTheResults() throws Exception {
    WorkflowExecutionHistory h = committed(STORED);
    assertThat(ofType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))
        .extracting(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
        .containsExactly(ModelActivities.CALL, "Tool.Call", ModelActivities.CALL, "Tool.Call", ModelActivities.CALL);
    String events = h.getHistory().toString();
    assertThat(events).contains(AgentTranscript.RESULT_MEMBER).contains("line 1 ").doesNotContain("line 100 ");
    assertThat(last(h)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  }

  @Test
  void theCommittedApprovalHistoryRecordsTheRequestAndBothDecisions() throws Exception {
    WorkflowExecutionHistory h = committed(APPROVAL);
    assertThat(ofType(h, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)).as("asked, approved, denied").hasSize(3);
    assertThat(ofType(h, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).hasSize(2);
    assertThat(ofType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))
        .extracting(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
        .containsExactly(ModelActivities.CALL, "Tool.Call", "Tool.Call", ModelActivities.CALL);
    assertThat(last(h)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  }

  @Test
  void theCommittedApprovalCancelHistoryMarksTheUndecidedCallCanceledAndRunsNoTool() throws Exception {
    WorkflowExecutionHistory h = committed(APPROVAL_CANCELED);
    assertThat(ofType(h, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)).as("asked, approved, canceled").hasSize(3);
    assertThat(ofType(h, EventType.EVENT_TYPE_MARKER_RECORDED))
        .extracting(e -> e.getMarkerRecordedEventAttributes().getMarkerName())
        .contains("Version");
    assertThat(ofType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))
        .extracting(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
        .containsExactly(ModelActivities.CALL);
    assertThat(last(h)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);

    WorkflowExecutionHistory v0 = committed(APPROVAL_CANCELED_V0);
    assertThat(ofType(v0, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)).as("asked, approved").hasSize(2);
    assertThat(ofType(v0, EventType.EVENT_TYPE_MARKER_RECORDED))
        .extracting(e -> e.getMarkerRecordedEventAttributes().getMarkerName())
        .doesNotContain("Version");
    assertThat(last(v0)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
  }

  @Test
  void theCommittedHistoryRunsTwoToolCallsAtOnceAndNotTheToolTheTaskDoesNotOffer() throws Exception {
    WorkflowExecutionHistory h = committed(AGENT);
    List<HistoryEvent> scheduled = ofType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    assertThat(scheduled)
        .extracting(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
        .containsExactly(ModelActivities.CALL, "Tool.Call", "Tool.Call", ModelActivities.CALL);
    // Both tool calls were scheduled by one workflow task, before either completed.
    assertThat(scheduled.get(1).getActivityTaskScheduledEventAttributes().getWorkflowTaskCompletedEventId())
        .isEqualTo(scheduled.get(2).getActivityTaskScheduledEventAttributes().getWorkflowTaskCompletedEventId());
    assertThat(ofType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)).hasSize(2);
    assertThat(last(h)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  }

  @Test
  void theCommittedLongLoopContinuedAsNewBeforeItsHistoryGrewLarge() throws Exception {
    WorkflowExecutionHistory h = committed(CONTINUED);
    assertThat(last(h)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    assertThat(h.getEvents().size()).isBetween(SMALL_RUNS, SMALL_RUNS + 50);
  }

  @Test
  void theCommittedDeadlineHistoryCancelsTheRunningToolAndCompletes() throws Exception {
    WorkflowExecutionHistory h = committed(DEADLINE);
    assertThat(ofType(h, EventType.EVENT_TYPE_TIMER_STARTED)).as("one deadline timer for the run").hasSize(1);
    assertThat(ofType(h, EventType.EVENT_TYPE_TIMER_FIRED)).hasSize(1);
    assertThat(ofType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)).hasSize(1);
    assertThat(last(h)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    var completed = ofType(h, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED).get(0).getWorkflowExecutionCompletedEventAttributes();
    AgentResult result =
        DefaultDataConverter.newDefaultInstance()
            .fromPayloads(0, java.util.Optional.of(completed.getResult()), AgentResult.class, AgentResult.class);
    assertThat(result.stopReason()).isEqualTo(AgentWorkflow.DEADLINE);
  }

  /** Runs the agent on a fresh test server until its first run closes, and returns that run's history. */
  private static WorkflowExecutionHistory record(String id, AgentInput input) throws Exception {
    return record(id, input, wf -> {});
  }

  /** What a recording does while the agent runs (decide its approvals, ...). */
  interface WhileRunning {
    void accept(AgentWorkflow wf) throws Exception;
  }

  private static WorkflowExecutionHistory record(String id, AgentInput input, WhileRunning whileRunning) throws Exception {
    try (TestWorkflowEnvironment env = AgentWorkflowTest.environment()) {
      Worker worker =
          env.newWorker(
              AgentWorkflowTest.QUEUE, WorkerOptions.newBuilder().setDefaultHeartbeatThrottleInterval(Duration.ofMillis(100)).build());
      worker.registerWorkflowImplementationTypes(
          ToolActivityDefaults.implementationOptions(Duration.ofSeconds(5)), AgentWorkflowImpl.class);
      TaskIndexActivities index = c -> {};
      ApprovalAudit audit = (action, tenant, agent, calls) -> {};
      FakeAgentTools tools = new FakeAgentTools();
      worker.registerActivitiesImplementations(new ScriptedModel(tools.stored), tools, index, audit);
      env.start();
      AgentWorkflow wf =
          env.getWorkflowClient()
              .newWorkflowStub(AgentWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(AgentWorkflowTest.QUEUE).build());
      WorkflowExecution first = WorkflowClient.start(wf::run, input);
      whileRunning.accept(wf);
      try {
        io.temporal.client.WorkflowStub.fromTyped(wf).getResult(60, TimeUnit.SECONDS, AgentResult.class);
      } catch (io.temporal.client.WorkflowFailedException canceledOrFailed) {
        // The history is what is recorded; how the run ended is asserted on it.
      }
      return env.getWorkflowClient().fetchHistory(id, first.getRunId());
    }
  }

  private static void write(String name, WorkflowExecutionHistory h) throws IOException {
    Path out = Path.of("target", "recorded-histories", name);
    Files.createDirectories(out.getParent());
    Files.writeString(out, h.toJson(true), StandardCharsets.UTF_8);
  }

  private static void replay(WorkflowExecutionHistory h) throws Exception {
    try (TestWorkflowEnvironment env = AgentWorkflowTest.environment()) {
      WorkflowReplayer.replayWorkflowExecution(h, env, AgentWorkflowImpl.class);
    }
  }

  private static WorkflowExecutionHistory committed(String resource) throws IOException {
    try (InputStream in = AgentHistoryTest.class.getClassLoader().getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      return WorkflowExecutionHistory.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static List<HistoryEvent> ofType(WorkflowExecutionHistory h, EventType type) {
    return h.getEvents().stream().filter(e -> e.getEventType() == type).toList();
  }

  private static EventType last(WorkflowExecutionHistory h) {
    return h.getEvents().get(h.getEvents().size() - 1).getEventType();
  }
}
