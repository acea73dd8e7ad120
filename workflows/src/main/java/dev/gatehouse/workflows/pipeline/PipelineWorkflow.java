package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A declarative pipeline: tool calls arranged as a DAG. Steps whose dependencies are done run in
 * parallel; each is one {@code Tool.call} activity.
 *
 * <p>The result is an object mapping each step id to its output, in declaration order. When a
 * step fails for good, the running steps are cancelled and the workflow fails with an
 * {@code ApplicationFailure} of type {@link PipelineWorkflow#STEP_FAILED} (or
 * {@link PipelineWorkflow#TEMPLATE_ERROR} when a template cannot be filled).
 */
@WorkflowInterface
public interface PipelineWorkflow {

  /** The workflow type, and the {@code workflow} name in the task API. */
  String TYPE = "pipeline";

  String STEP_FAILED = "StepFailed";
  String TEMPLATE_ERROR = "TemplateError";

  @WorkflowMethod(name = TYPE)
  JsonNode run(PipelineInput input);
}
