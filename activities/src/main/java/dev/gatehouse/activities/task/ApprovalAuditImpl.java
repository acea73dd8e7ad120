package dev.gatehouse.activities.task;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.workflows.approval.ApprovalAudit;
import dev.gatehouse.workflows.approval.Approvals;
import io.temporal.activity.Activity;
import java.time.Instant;
import java.util.List;

/** Audit rows for an agent task's approval requests, expiries and cancellations (see {@link ApprovalAudit}). */
public class ApprovalAuditImpl implements ApprovalAudit {
  private final AuditLog audit;

  public ApprovalAuditImpl(AuditLog audit) {
    this.audit = audit;
  }

  @Override
  public void record(String action, String tenantId, String agentId, List<Approvals.Call> calls) {
    String taskId = Activity.getExecutionContext().getInfo().getWorkflowId();
    String outcome =
        switch (action) {
          case REQUESTED -> "pending";
          case EXPIRED -> "expired";
          default -> "canceled";
        };
    for (Approvals.Call c : calls) {
      audit.record(
          new AuditEvent(
              Instant.now(), tenantId, agentId, "task " + taskId, null, taskId, action, c.callId(),
              action.equals(REQUESTED) ? "ask" : "deny", outcome, null, "approval",
              c.tool() + " " + c.argumentsSha256()));
    }
  }
}
