package dev.gatehouse.workflows.approval;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import java.util.List;

/**
 * What a workflow that holds tool calls for approval answers: the operator's decision (the update
 * {@link Approvals#DECIDE}, which the admin API sends) and the calls asked so far (the query
 * {@link Approvals#PENDING}). The agent workflow's interface extends it; a workflow written
 * against the SPI gets it from {@code Governed}, which registers an {@link ApprovalGate} as a
 * listener.
 */
public interface ApprovalHandlers {

  /** An operator's decision on a call waiting for approval; returns the call as decided. */
  @UpdateMethod(name = Approvals.DECIDE)
  Approvals.Call decide(Approvals.Decision decision);

  /**
   * Refuses a decision without recording anything: an {@code ApplicationFailure} whose type is
   * {@link Approvals#NOT_FOUND}, {@link Approvals#DECIDED}, {@link Approvals#EXPIRED} or {@link
   * Approvals#MISMATCH}, or {@link Approvals#CLOSED} once the task's cancel request has been seen.
   */
  @UpdateValidatorMethod(updateName = Approvals.DECIDE)
  void validateDecide(Approvals.Decision decision);

  /** The calls of this run that needed approval, pending or decided. */
  @QueryMethod(name = Approvals.PENDING)
  List<Approvals.Call> approvals();

  /**
   * The whole arguments of call {@code callId} of this run that needed approval (those its {@code
   * argumentsSha256} is of); null for no such call. The memo's preview is cut to {@link
   * Approvals#MAX_PREVIEW_CHARS}, and what it leaves out is what an operator must not approve unseen.
   */
  @QueryMethod(name = Approvals.ARGUMENTS)
  JsonNode arguments(String callId);
}
