package dev.gatehouse.activities.chain;

import dev.gatehouse.workflows.task.FailureCodes;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.workflows.tool.Caller;
import java.time.Instant;

/**
 * Records one audit row per governed call, whatever its outcome: who called what, allow or deny
 * and by which policy, {@code ok} or the failure type in snake_case, how long it took, which attempt.
 */
public final class RecordAudit implements PolicyStep<Exchange<?, ?>> {

  private final AuditLog log;
  private final String action;

  /** {@code action} names the kind of call in the rows, e.g. {@code tool.call}. */
  public RecordAudit(AuditLog log, String action) {
    this.log = log;
    this.action = action;
  }

  /**
   * {@code attempt N}, what the exchange notes ({@link Exchange#auditNote}: a model call's
   * fallbacks), and the policy entries that decided something without denying ({@code; policies:
   * a@1 ..., b@2 ...}).
   */
  private static String detail(int attempt, Exchange<?, ?> exchange) {
    String detail = "attempt " + attempt;
    String note = exchange.auditNote();
    if (note != null) {
      detail += "; " + note;
    }
    if (exchange.appliedDecisions().isEmpty()) {
      return detail;
    }
    return detail + "; policies: " + String.join(", ", exchange.appliedPolicies());
  }

  @Override
  public void complete(Exchange<?, ?> exchange) {
    GovernedCall call = exchange.request();
    Caller caller = call.caller();
    String agentId = caller == null ? null : caller.agentId();
    Decision denial = exchange.denial();
    String outcome = exchange.recordedOutcome();
    log.record(
        new AuditEvent(
            Instant.now(),
            caller == null ? null : caller.tenantId(),
            agentId,
            agentId,
            call.requestId(),
            call.taskId(),
            action,
            call.target(),
            denial == null ? "allow" : "deny",
            outcome.equals(Exchange.OK) ? Exchange.OK : FailureCodes.of(outcome),
            (int) Math.round(exchange.elapsedSeconds() * 1000),
            denial == null ? null : denial.policy(),
            detail(call.attempt(), exchange)));
  }
}
