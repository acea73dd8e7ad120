package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A declarative pipeline: tool calls and model calls arranged as a DAG. Steps whose dependencies
 * are done run in parallel; each is one {@code Tool.Call} or {@code Model.Call} activity.
 *
 * <p>The result is an object mapping each step id to its output, in declaration order. When a
 * step fails for good, the running steps are cancelled and the workflow fails with an
 * {@code ApplicationFailure} of type {@link PipelineWorkflow#STEP_FAILED} (or
 * {@link PipelineWorkflow#TEMPLATE_ERROR} when a template cannot be filled, {@link
 * PipelineWorkflow#EXPANSION_TOO_LARGE} or {@link PipelineWorkflow#OUTPUTS_TOO_LARGE} when the
 * pipeline grows past the {@link Expansion} limits).
 *
 * <p>Cancelling the workflow (the task) ends it with a {@code CanceledFailure} at once, and no step
 * starts after the cancel request is seen; the steps still running are cancelled.
 *
 * <p>A cancelled step's activity is asked to stop (the history records its cancel request), but
 * the workflow does not wait for it. The activity hears of it at its next heartbeat: as {@code
 * ActivityCanceledException}, or {@code ActivityNotExistsException} once the workflow has closed,
 * which is usually the case. An activity that does not heartbeat runs to its end; its result is
 * dropped and no further attempt is made.
 */
@WorkflowInterface
public interface PipelineWorkflow {

  /** The workflow type, and the {@code workflow} name in the task API. */
  String TYPE = "pipeline";

  String STEP_FAILED = "StepFailed";
  String TEMPLATE_ERROR = "TemplateError";
  /** A step's arguments, once their templates are filled, exceed the {@link Expansion} limits. */
  String EXPANSION_TOO_LARGE = "ExpansionTooLarge";
  /** The outputs of the steps together exceed {@link Expansion#MAX_TOTAL_OUTPUTS_BYTES}. */
  String OUTPUTS_TOO_LARGE = "OutputsTooLarge";

  @WorkflowMethod(name = TYPE)
  JsonNode run(PipelineInput input);
}
