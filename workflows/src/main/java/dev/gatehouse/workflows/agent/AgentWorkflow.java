package dev.gatehouse.workflows.agent;

import dev.gatehouse.workflows.approval.ApprovalHandlers;
import dev.gatehouse.workflows.approval.Approvals;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.List;

/**
 * The agent loop: a model call with the selected tools' schemas, then the tool calls it asks for
 * (in parallel when it asks for several), their results appended to the transcript, and again,
 * until the model answers without tool calls or a limit is reached. Every model call is a {@code
 * Model.Call} activity and every tool call a {@code Tool.Call} activity, so both go through the
 * same invoker and policy chain as the gateway's other faces, and each shows in the task's trace.
 *
 * <p>How it ends: the result's {@link AgentResult#stopReason()} is {@link #COMPLETED} (the model
 * answered), {@link #MAX_STEPS}, {@link #BUDGET} (the next model call's worst case would pass the
 * task's {@code maxTokens} or {@code maxCost}: it is not sent) or {@link #DEADLINE} (the running
 * step is cancelled). Cancelling the task ends it CANCELED at once, the running steps cancelled.
 * A model call that fails for good fails the task ({@link #MODEL_FAILED}); a tool call that fails
 * (denied, arguments refused by the tool's schema, the upstream's error) does not: the model
 * receives an error result it can react to.
 *
 * <p>A call of a tool that needs approval waits, at no cost, for an operator's decision (the
 * update {@link Approvals#DECIDE}) until it expires, which counts as a denial; a denied call is
 * not run and the model reads why. The calls asked for, with their state, are in the query
 * {@link Approvals#PENDING} and in the workflow's memo ({@code approvals}), so the history shows
 * every request, decision and expiry.
 *
 * <p>Long loops continue as new before their history grows large, carrying the transcript, the
 * usage so far and the deadline ({@link AgentState}). A tool result longer than {@link
 * AgentTranscript#STORE_RESULTS_OVER} characters is stored outside the history by the tool
 * activity (PostgreSQL, under the task and its tenant): the transcript keeps a reference and a
 * preview, and {@code Model.Call} reads the result back before the provider sees the request.
 */
@WorkflowInterface
public interface AgentWorkflow extends ApprovalHandlers {

  /** The workflow type, and the {@code workflow} name in the task API. */
  String TYPE = "agent";

  String COMPLETED = "completed";
  String MAX_STEPS = "max_steps";
  String BUDGET = "budget";
  String DEADLINE = "deadline";

  /** A model call failed for good (after its retries): the task fails with this type. */
  String MODEL_FAILED = "ModelFailed";
  /** The transcript grew past {@link AgentTranscript#MAX_CHARS}: the task fails with this type. */
  String TRANSCRIPT_TOO_LARGE = "TranscriptTooLarge";

  @WorkflowMethod(name = TYPE)
  AgentResult run(AgentInput input);
}
