package dev.gatehouse.activities.task;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.workflows.approval.ApprovalAudit;
import dev.gatehouse.workflows.approval.Approvals;
import io.temporal.activity.Activity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Audit rows for an agent task's approval requests, expiries and cancellations (see {@link
 * ApprovalAudit}): written at once and once each, keyed by run, action and call, as the engine runs
 * this local activity again when it retries the workflow task that ran it.
 */
public class ApprovalAuditImpl implements ApprovalAudit {
  private final AuditLog audit;

  public ApprovalAuditImpl(AuditLog audit) {
    this.audit = audit;
  }

  @Override
  public void record(String action, String tenantId, String agentId, List<Approvals.Call> calls) {
    var info = Activity.getExecutionContext().getInfo();
    write(audit, action, tenantId, agentId, info.getWorkflowId(), info.getRunId(), calls);
  }

  /**
   * The rows of {@code action} for {@code calls} of run {@code runId} of task {@code taskId},
   * each written once: also what the front end writes for the calls a task left waiting when it
   * ended without workflow code to say so (its timeout).
   */
  public static void write(
      AuditLog audit, String action, String tenantId, String agentId, String taskId, String runId, List<Approvals.Call> calls) {
    if (calls.isEmpty()) {
      return;
    }
    String outcome =
        switch (action) {
          case REQUESTED -> "pending";
          case EXPIRED -> "expired";
          default -> "canceled";
        };
    List<AuditEvent> rows = new ArrayList<>(calls.size());
    List<String> keys = new ArrayList<>(calls.size());
    for (Approvals.Call c : calls) {
      rows.add(
          new AuditEvent(
              Instant.now(), tenantId, agentId, "task " + taskId, null, taskId, action, c.callId(),
              action.equals(REQUESTED) ? "ask" : "deny", outcome, null, "approval",
              c.tool() + " " + c.argumentsSha256()));
      // A call is asked, expires or is cancelled once in a run: the engine's retry of the
      // workflow task that ran this writes nothing new.
      keys.add(taskId + "/" + runId + "/" + action + "/" + c.callId());
    }
    audit.recordOnce(rows, keys);
  }
}
