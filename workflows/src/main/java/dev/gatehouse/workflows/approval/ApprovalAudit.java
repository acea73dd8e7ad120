package dev.gatehouse.workflows.approval;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Writes what an agent task's approvals did into the audit log: the calls it asked operators to
 * decide on ({@link #REQUESTED}), and those whose approval expired ({@link #EXPIRED}) or that the
 * task stopped waiting for at its deadline ({@link #CANCELED}). Operators' decisions are audited
 * by the admin API that takes them. Run as a local activity (a marker in the history, so replay
 * does not write again).
 */
@ActivityInterface(namePrefix = "Approvals.")
public interface ApprovalAudit {
  String REQUESTED = "task.approval.request";
  String EXPIRED = "task.approval.expire";
  String CANCELED = "task.approval.cancel";

  /** One audit row per call: {@code action} is one of this interface's constants. */
  @ActivityMethod
  void record(String action, String tenantId, String agentId, List<Approvals.Call> calls);
}
