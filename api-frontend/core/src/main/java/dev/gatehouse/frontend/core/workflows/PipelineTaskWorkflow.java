package dev.gatehouse.frontend.core.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.approvals.ApprovalPolicy;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.pipeline.Expansion;
import dev.gatehouse.workflows.pipeline.InvalidPipelineException;
import dev.gatehouse.workflows.pipeline.PipelineDefinition;
import dev.gatehouse.workflows.pipeline.PipelineInput;
import dev.gatehouse.workflows.pipeline.PipelineStep;
import dev.gatehouse.workflows.pipeline.PipelineValidator;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@code pipeline} task: a DAG of tool steps and model steps. A submission is checked whole
 * before it starts: the DAG and its templates, every tool and model known in the agent's tenant
 * and allowed to it; the timeout and retry policy of each tool and model is recorded in the
 * workflow's input.
 */
public final class PipelineTaskWorkflow implements TaskWorkflow {
  private final ToolCatalog tools;
  private final TaskModels models;
  private final DurableCalls durable;

  public PipelineTaskWorkflow(ToolCatalog tools, Jdbi jdbi, DurableCalls durable) {
    this.tools = tools;
    this.models = new TaskModels(jdbi, durable);
    this.durable = durable;
  }

  @Override
  public String type() {
    return PipelineWorkflow.TYPE;
  }

  @Override
  public DurableCalls.Start prepare(AgentCaller caller, TaskSubmission submission, Duration timeout) {
    var agent = caller.agent();
    if (submission.pipeline() == null) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "a pipeline task needs a 'pipeline' with 'steps'");
    }
    try {
      PipelineValidator.validate(submission.pipeline());
    } catch (InvalidPipelineException e) {
      throw new ApiException(ErrorCode.ofCode(e.code()).orElse(ErrorCode.INVALID_REQUEST), e.getMessage());
    }
    JsonNode input = submission.input() == null ? JsonNodeFactory.instance.objectNode() : submission.input();
    checkExpansion(submission.pipeline(), input);
    Map<String, ToolCallPolicy> policies = new LinkedHashMap<>();
    Map<String, ModelCallPolicy> modelPolicies = new LinkedHashMap<>();
    for (PipelineStep step : submission.pipeline().steps()) {
      if (step.callsModel()) {
        checkModelStep(caller, step, modelPolicies);
      } else if (!policies.containsKey(step.tool())) {
        ToolDefinition tool =
            tools
                .find(step.tool())
                .filter(t -> t.tenantId() == null || t.tenantId().equals(agent.tenantId()))
                .orElseThrow(
                    () ->
                        new ApiException(
                            ErrorCode.UNKNOWN_TOOL, "step '" + step.id() + "' names unknown tool '" + step.tool() + "'"));
        Decision mayUse = AccessPolicy.tool(agent.permissions(), caller.scopes(), tool.name());
        if (!mayUse.allowed()) {
          throw durable.denied(caller, "task.submit", tool.name(), mayUse);
        }
        // The tool's registry flag or the agent's own approval rules: a pipeline cannot wait for a decision.
        if (ApprovalPolicy.requires(agent.permissions().approvals(), tool.name(), tool.approvalRequired(), null)) {
          throw new ApiException(
              ErrorCode.APPROVAL_REQUIRED,
              "step '" + step.id() + "' calls tool '" + tool.name() + "', whose calls by this agent need an operator's approval "
                  + "(" + (tool.approvalRequired() ? "the tool's registry entry" : "the agent's approval rules") + "); "
                  + "a pipeline cannot wait for one: call it from an agent task or a team's workflow");
        }
        policies.put(tool.name(), DurableCalls.policyOf(tool));
      }
    }
    PipelineInput workflowInput =
        new PipelineInput(
            input,
            submission.pipeline(),
            policies,
            new Caller(agent.tenantId(), agent.id(), caller.scopes()),
            modelPolicies);
    return new DurableCalls.Start(PipelineWorkflow.TYPE, workflowInput, timeout, PipelineWorkflow.TYPE);
  }

  /**
   * A model step's model must be one the agent's tenant can see (404 {@code model_not_found}, as
   * on the model faces) and may use (403 {@code model_not_allowed}), and its {@code maxTokens}
   * within the model's maximum output (400 {@code invalid_request}). Records the model's policy
   * the first time a step names it.
   */
  private void checkModelStep(AgentCaller caller, PipelineStep step, Map<String, ModelCallPolicy> modelPolicies) {
    var agent = caller.agent();
    ModelDefinition model =
        models
            .visible(step.model(), agent.tenantId())
            .orElseThrow(
                () ->
                    new ApiException(
                        ErrorCode.MODEL_NOT_FOUND, "step '" + step.id() + "' names unknown model '" + step.model() + "'"));
    if (!modelPolicies.containsKey(model.name())) {
      models.authorize(caller, model);
      modelPolicies.put(model.name(), models.policy(agent.tenantId(), model));
    }
    if (step.maxTokens() != null && model.maxOutput() != null && step.maxTokens() > model.maxOutput()) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST,
          "step '" + step.id() + "': maxTokens " + step.maxTokens() + " is over the " + model.maxOutput()
              + " output tokens model '" + model.name() + "' allows");
    }
  }

  /**
   * 400 {@code expansion_too_large} when the steps' arguments, filled from the input, would grow
   * past the {@link Expansion} limits: such a task could only fail (or, before the workflow bounded
   * it, never end), so it is not started.
   */
  private static void checkExpansion(PipelineDefinition pipeline, JsonNode input) {
    try {
      Expansion.checkSubmitted(pipeline, input);
    } catch (InvalidPipelineException e) {
      throw new ApiException(ErrorCode.EXPANSION_TOO_LARGE, e.getMessage());
    }
  }
}
