package dev.gatehouse.workflows.spi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.approval.ApprovalGate;
import dev.gatehouse.workflows.approval.Approvals;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowLocal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The governed tool and model calls of a workflow written against the SPI, for use in workflow
 * code only. Get it with {@link #of} at the start of the {@code @WorkflowMethod}:
 *
 * <pre>{@code
 * Governed gw = Governed.of(task);
 * ToolCallResult ticket = gw.tool("read-ticket", "helpdesk.get_ticket", args);
 * ModelCallResult answer = gw.model("classify", "triage-model", request);
 * }</pre>
 *
 * <p>Each call is one {@code Tool.Call} or {@code Model.Call} activity with the timeout and retry
 * policy the registry gave the tool or model when the task was submitted, so it shows in the
 * task's trace, and the gateway checks the agent's permission again when it runs. A call that
 * fails for good throws Temporal's {@code ActivityFailure}; its cause is an {@code
 * ApplicationFailure} whose type is the gateway's code ({@code upstream_client_error}, {@code
 * tool_not_allowed}, ...). The workflow may catch it, or let it fail the task with that code. A
 * call that a rate-limit policy refuses does not fail: it waits until the limit has room and is
 * made again ({@link RateLimitWaits}; the task can be cancelled meanwhile).
 *
 * <p>A call of a tool that needs approval (the registry's {@code approval: required} or the
 * agent's approval rules) first waits, at no cost, for an operator's decision through the admin
 * API; the task shows {@code WAITING_APPROVAL} meanwhile. A denied call is not run and throws an
 * {@code ApplicationFailure} of type {@link #APPROVAL_DENIED}; one nobody decided on before it
 * expired throws {@link #APPROVAL_EXPIRED}.
 */
public final class Governed {
  /** Type of the failure a denied call throws (its code: {@code approval_denied}). */
  public static final String APPROVAL_DENIED = "ApprovalDenied";
  /** Type of the failure a call whose approval expired throws ({@code approval_expired}). */
  public static final String APPROVAL_EXPIRED = "ApprovalExpired";
  /** Type of the failure a call of a tool or model the workflow did not declare throws. */
  public static final String TOOL_NOT_DECLARED = "ToolNotDeclared";
  public static final String MODEL_NOT_DECLARED = "ModelNotDeclared";
  /** Type of the failure a call whose step id is not 1 to 100 letters, digits, '_', '.', ':' or '-' throws. */
  public static final String INVALID_STEP_ID = "InvalidStepId";

  private static final Pattern STEP_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");

  private static final WorkflowLocal<Governed> CURRENT = new WorkflowLocal<>();

  private final TaskInput task;
  private final ApprovalGate approvals;
  private final Map<String, ToolActivities> toolStubs = new HashMap<>();
  private final Map<String, ModelActivities> modelStubs = new HashMap<>();
  private final Set<String> approvalIds = new HashSet<>();

  private Governed(TaskInput task) {
    this.task = task;
    this.approvals = new ApprovalGate(task.caller());
  }

  /**
   * The governed calls of this workflow run, which answers operators' approval decisions from then
   * on. Call it first thing in the workflow method; calling it again in the same run returns the
   * same instance.
   */
  public static Governed of(TaskInput task) {
    Governed current = CURRENT.get();
    if (current == null) {
      current = new Governed(task);
      Workflow.registerListener(current.approvals);
      CURRENT.set(current);
    }
    return current;
  }

  /** The task's input, as submitted and validated. */
  public JsonNode input() {
    return task.input();
  }

  /** Who the task acts for. */
  public Caller caller() {
    return task.caller();
  }

  /**
   * Calls {@code tool} (a registry name among the workflow's declared tools) with {@code args} as
   * step {@code stepId}, and waits for its result; first waits for an operator's approval when the
   * tool needs one.
   */
  public ToolCallResult tool(String stepId, String tool, JsonNode args) {
    checkStep(stepId);
    ToolGrant grant = task.tools().get(tool);
    if (grant == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "step '" + stepId + "' calls tool '" + tool + "', which the workflow does not declare", TOOL_NOT_DECLARED);
    }
    if (grant.approval()) {
      awaitApproval(stepId, tool, args, grant);
    }
    ToolActivities stub = toolStubs.computeIfAbsent(tool, t -> Workflow.newActivityStub(ToolActivities.class, grant.policy().toActivityOptions()));
    ToolCallRequest call = new ToolCallRequest(stepId, tool, args, task.caller());
    return RateLimitWaits.call(() -> stub.call(call));
  }

  /** {@link #tool}, started without waiting: run several at once and wait for their promises. */
  public Promise<ToolCallResult> toolAsync(String stepId, String tool, JsonNode args) {
    return Async.function(this::tool, stepId, tool, args);
  }

  /**
   * Calls model {@code model} (an alias among the workflow's declared models) as step {@code
   * stepId}. {@code request} is an OpenAI chat-completions request ({@code messages}, and optional
   * members such as {@code max_tokens}); its {@code model} is set to the alias. Never streamed.
   */
  public ModelCallResult model(String stepId, String model, ObjectNode request) {
    checkStep(stepId);
    ModelCallPolicy policy = task.models().get(model);
    if (policy == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "step '" + stepId + "' calls model '" + model + "', which the workflow does not declare", MODEL_NOT_DECLARED);
    }
    ObjectNode body = request.deepCopy();
    body.put("model", model);
    ModelActivities stub = modelStubs.computeIfAbsent(model, m -> Workflow.newActivityStub(ModelActivities.class, policy.toActivityOptions()));
    ModelCallRequest call = new ModelCallRequest(stepId, model, body, task.caller());
    return RateLimitWaits.call(() -> stub.call(call));
  }

  /** {@link #model}, started without waiting. */
  public Promise<ModelCallResult> modelAsync(String stepId, String model, ObjectNode request) {
    return Async.function(this::model, stepId, model, request);
  }

  /** A step id names a step in the trace and, with {@code #n} when repeated, a call waiting for approval. */
  private static void checkStep(String stepId) {
    if (stepId == null || !STEP_ID.matcher(stepId).matches()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "a step id is 1 to 100 letters, digits, '_', '.', ':' or '-'", INVALID_STEP_ID);
    }
  }

  private void awaitApproval(String stepId, String tool, JsonNode args, ToolGrant grant) {
    String callId = stepId;
    for (int n = 2; !approvalIds.add(callId); n++) {
      callId = stepId + "#" + n;
    }
    long expiresAt = Workflow.currentTimeMillis() + task.approvalTimeoutMillis();
    Approvals.Call c = approvals.ask(List.of(new ApprovalGate.Ask(callId, tool, args, grant.approvalPolicy())), expiresAt, 0).get(callId);
    if ("denied".equals(c.status())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "an operator denied the call of '" + tool + "' at step '" + stepId + "'"
              + (c.reason() == null || c.reason().isBlank() ? "" : ": " + c.reason()),
          APPROVAL_DENIED);
    }
    if ("expired".equals(c.status())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "no operator decided on the call of '" + tool + "' at step '" + stepId + "' before its approval expired", APPROVAL_EXPIRED);
    }
  }
}
