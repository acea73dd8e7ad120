package dev.gatehouse.activities.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.workflows.approval.ApprovalAudit;
import dev.gatehouse.workflows.approval.Approvals;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The audit rows an agent task writes for its approvals, from a local activity as the task runs
 * it. When the engine retries the workflow task that ran it, the local activity runs again (its
 * result is recorded only when the workflow task completes); each row is still written once.
 */
class ApprovalAuditImplTest {
  /** How many more workflow tasks {@link AskThenCancelImpl} fails after its audits ran. */
  static final AtomicInteger FAILURES_LEFT = new AtomicInteger();

  @WorkflowInterface
  public interface AskThenCancel {
    @WorkflowMethod
    void run();
  }

  public static class AskThenCancelImpl implements AskThenCancel {
    @Override
    public void run() {
      ApprovalAudit audit =
          Workflow.newLocalActivityStub(
              ApprovalAudit.class, LocalActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(10)).build());
      List<Approvals.Call> asked = List.of(call("tool-1.1"), call("tool-1.2"));
      audit.record(ApprovalAudit.REQUESTED, "ten_a", "agt_a", asked);
      audit.record(ApprovalAudit.CANCELED, "ten_a", "agt_a", asked);
      if (FAILURES_LEFT.getAndDecrement() > 0) {
        throw new Error("fails this workflow task: the engine retries it, and the local activities run again");
      }
    }
  }

  private static Approvals.Call call(String id) {
    return new Approvals.Call(id, "t.write", "sha-" + id, "v1", "{}", null, null, "pending", null, null);
  }

  @Test
  void aWorkflowTaskRetriedAfterItsAuditsRanWritesNoRowTwice() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      AuditLog log = new AuditLog(db.jdbi(), 100, Duration.ofSeconds(30));
      TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
      try {
        Worker worker = env.newWorker("audit-once");
        worker.registerWorkflowImplementationTypes(AskThenCancelImpl.class);
        worker.registerActivitiesImplementations(new ApprovalAuditImpl(log));
        env.start();
        FAILURES_LEFT.set(1);
        env.getWorkflowClient()
            .newWorkflowStub(AskThenCancel.class, WorkflowOptions.newBuilder().setTaskQueue("audit-once").setWorkflowId("task_once").build())
            .run();
        assertThat(FAILURES_LEFT.get()).as("the workflow task was retried").isNegative();
      } finally {
        env.close();
      }
      log.close();
      List<String> rows =
          db.jdbi()
              .withHandle(
                  h -> h.createQuery("SELECT task_id || ' ' || action || ' ' || target || ' ' || outcome FROM audit_log ORDER BY id")
                      .mapTo(String.class)
                      .list());
      assertThat(rows)
          .containsExactly(
              "task_once task.approval.request tool-1.1 pending",
              "task_once task.approval.request tool-1.2 pending",
              "task_once task.approval.cancel tool-1.1 canceled",
              "task_once task.approval.cancel tool-1.2 canceled");
    }
  }
}
