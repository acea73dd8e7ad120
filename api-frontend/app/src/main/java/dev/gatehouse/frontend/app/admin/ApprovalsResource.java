package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.app.admin.AdminContext.admin;

import dev.gatehouse.frontend.core.auth.Caller.AdminCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tasks.TaskRecord;
import dev.gatehouse.workflows.approval.Approvals;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code /admin/v1/tasks/{id}/approvals}: what an agent task waits for, and an operator's decision
 * on one call. Admin keys of the task's tenant, or of the platform, may read and decide; any
 * other sees no such task. Every decision, taken or refused, is in the audit log.
 */
@Path("/admin/v1/tasks/{id}/approvals")
@Produces(MediaType.APPLICATION_JSON)
public class ApprovalsResource {
  private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  /** An agent loop's call id ({@code tool-3.1}), or a step id of a team's workflow (maybe with {@code #n}). */
  private static final Pattern CALL_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,128}(#[0-9]{1,6})?");
  private static final Pattern POLICY_VERSION = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final int MAX_REASON = 1000;

  /** The body of a decision. */
  public record DecisionBody(String decision, String argumentsSha256, String reason, String policyVersion) {}

  private final AdminContext ctx;
  private final DurableCalls durable;
  private final Set<String> workflows;
  private final dev.gatehouse.activities.tool.ResolveTool tools;

  /**
   * @param workflows the workflow types whose tasks may hold calls for approval
   * @param tools finds a call's tool as its step would
   */
  public ApprovalsResource(AdminContext ctx, DurableCalls durable, Set<String> workflows, dev.gatehouse.activities.tool.ResolveTool tools) {
    this.ctx = ctx;
    this.durable = durable;
    this.workflows = Set.copyOf(workflows);
    this.tools = tools;
  }

  /**
   * A call as the admin API shows it: {@code approvable} is false, and {@code refusal} says why,
   * for a pending call its agent may no longer make (its permissions were withdrawn, the agent
   * deleted, or the tool taken out of the registry, after the call was held), which an approval
   * would not run; both are absent once the call is decided.
   */
  public record Listed(
      @com.fasterxml.jackson.annotation.JsonUnwrapped Approvals.Call call,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) Boolean approvable,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) Refusal refusal) {}

  /** Why approving a call would be refused: an error's code and message, as the decision would answer them. */
  public record Refusal(String code, String message) {}

  @GET
  public Map<String, List<Listed>> list(@Context SecurityContext auth, @PathParam("id") String id) {
    TaskRecord task = task(admin(auth), id);
    List<Approvals.Call> calls = calls(task);
    Access access = new Access(task);
    return Map.of("approvals", calls.stream().map(access::listed).toList());
  }

  /**
   * Whether the task's agent may still make a call, as its step would find when it ran: the agent
   * exists in the task's tenant and its allow and deny lists take the tool. (A token's scopes were
   * fixed when the task was submitted, and checked then.) Reads the agent once, when first asked.
   */
  private final class Access {
    private final TaskRecord task;
    private java.util.Optional<dev.gatehouse.registry.agents.Agent> agent;

    Access(TaskRecord task) {
      this.task = task;
    }

    /** Why the task's agent may not make {@code call} now; null when it may, or once the call is decided. */
    Refusal refusal(Approvals.Call call) {
      if (!call.pending() || call.tool() == null) {
        return null;
      }
      if (agent == null) {
        agent = new dev.gatehouse.registry.agents.AgentStatements(ctx.jdbi).find(task.agentId())
            .filter(a -> a.tenantId().equals(task.tenantId()));
      }
      if (agent.isEmpty()) {
        return new Refusal(ErrorCode.TOOL_NOT_ALLOWED.code(), "the agent of this task no longer exists");
      }
      dev.gatehouse.policies.Decision d =
          dev.gatehouse.policies.access.AccessPolicy.tool(agent.get().permissions(), List.of(), call.tool());
      if (!d.allowed()) {
        return new Refusal(d.code(), d.reason());
      }
      if (!tools.finds(task.tenantId(), call.tool())) {
        return new Refusal(ErrorCode.UNKNOWN_TOOL.code(), "tool '" + call.tool() + "' is not in the registry any more");
      }
      return null;
    }

    Listed listed(Approvals.Call call) {
      Refusal refusal = refusal(call);
      return new Listed(call, call.pending() ? refusal == null : null, refusal);
    }
  }

  /** The calls of {@code task} that needed approval, as the listing shows them. */
  private List<Approvals.Call> calls(TaskRecord task) {
    List<Approvals.Call> calls = durable.approvals(task);
    if (task.status().isClosed()) {
      // A task that ended while a call waited (its timeout: no workflow code runs then to say so)
      // left the call pending in its last memo; no decision can come any more.
      calls = calls.stream().map(c -> c.pending() ? c.with("canceled", null, null) : c).toList();
    }
    return calls;
  }

  /** The call of {@code task} held under {@code callId}, as the listing shows it. */
  private java.util.Optional<Approvals.Call> held(TaskRecord task, String callId) {
    return calls(task).stream().filter(c -> c.callId().equals(callId)).findFirst();
  }

  /** One call that needed approval, with its whole arguments (the {@code preview} is cut). */
  public record CallWithArguments(
      @com.fasterxml.jackson.annotation.JsonUnwrapped Listed call, com.fasterxml.jackson.databind.JsonNode arguments) {}

  /**
   * One call of the task that needed approval, with the whole arguments its {@code
   * argumentsSha256} is of: the preview is cut to {@value Approvals#MAX_PREVIEW_CHARS} characters,
   * and an operator must be able to see what it leaves out before approving.
   */
  @GET
  @Path("/{callId}")
  public CallWithArguments call(@Context SecurityContext auth, @PathParam("id") String id, @PathParam("callId") String callId) {
    TaskRecord task = task(admin(auth), id);
    if (!CALL_ID.matcher(callId).matches()) {
      throw new ApiException(ErrorCode.APPROVAL_NOT_FOUND, "no call of this task was held for approval under that id");
    }
    Approvals.Call call = held(task, callId)
        .orElseThrow(() -> task.status().isClosed() && !durable.engineHas(task.id())
            // the engine let the task go: whether the call was held, its workflow no longer says
            ? new ApiException(ErrorCode.TASK_CLOSED, "the task has ended and the engine no longer has it")
            : new ApiException(ErrorCode.APPROVAL_NOT_FOUND, "no call of this task was held for approval under that id"));
    com.fasterxml.jackson.databind.JsonNode arguments = durable.approvalArguments(task.id(), callId);
    if (!Approvals.sha256(arguments).equals(call.argumentsSha256())) {
      // not the arguments the call was held with (another run of the task has a call of that id)
      throw new ApiException(ErrorCode.APPROVAL_NOT_FOUND, "the task no longer holds the arguments of " + callId);
    }
    return new CallWithArguments(new Access(task).listed(call), arguments);
  }

  @POST
  @Path("/{callId}")
  @Consumes(MediaType.WILDCARD)
  public Approvals.Call decide(
      @Context SecurityContext auth, @PathParam("id") String id, @PathParam("callId") String callId, InputStream body) {
    AdminCaller admin = admin(auth);
    TaskRecord task = task(admin, id);
    // From here on the admin sees the task: every refusal, of the body as of the decision, is audited.
    String target = CALL_ID.matcher(callId).matches() ? callId : null;
    String action = "task.approval.decide";
    try {
      DecisionBody d = ctx.bodies.read(body, DecisionBody.class);
      if (!Approvals.APPROVE.equals(d.decision()) && !Approvals.DENY.equals(d.decision())) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "'decision' must be 'approve' or 'deny'");
      }
      action = "task.approval." + d.decision();
      if (d.argumentsSha256() == null || !SHA256.matcher(d.argumentsSha256()).matches()) {
        throw new ApiException(
            ErrorCode.INVALID_REQUEST, "'argumentsSha256' (64 lower-case hex digits, from the pending call) is required");
      }
      if (d.policyVersion() != null && !POLICY_VERSION.matcher(d.policyVersion()).matches()) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "'policyVersion' is the pending call's policyVersion (1 to 64 letters, digits, '.', '_', ':' or '-')");
      }
      if (d.reason() != null && d.reason().length() > MAX_REASON) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "'reason' holds at most " + MAX_REASON + " characters");
      }
      if (target == null) {
        throw new ApiException(ErrorCode.APPROVAL_NOT_FOUND, "no call of this task waits for that approval");
      }
      if (task.status().isClosed()) {
        // The same decision sent again (its answer lost on the way) is that decision, as while the
        // task ran: the task may have ended at once, as a denial of its last call ends it.
        Approvals.Call same = held(task, callId).filter(c -> taken(c, d, admin)).orElse(null);
        if (same == null) {
          throw new ApiException(ErrorCode.TASK_CLOSED, "the task has already ended (" + task.status() + ")");
        }
        ctx.auditTask(admin, task.tenantId(), task.id(), action, callId, "allow", "ok", same.tool() + " " + same.argumentsSha256() + " (sent again)");
        return task.deadline() == null ? same : same.expiringBy(task.deadline());
      }
      if (Approvals.APPROVE.equals(d.decision())) {
        // An approval its step would refuse (the agent's permissions changed while the call
        // waited) is refused here, so that an operator is not told a call was approved that will
        // not run; a denial, or letting it expire, ends the wait.
        Refusal refusal = held(task, callId).map(new Access(task)::refusal).orElse(null);
        if (refusal != null) {
          throw new ApiException(
              ErrorCode.ofCode(refusal.code()).orElse(ErrorCode.TOOL_NOT_ALLOWED),
              "cannot approve " + callId + ": " + refusal.message() + "; deny it, or leave it to expire");
        }
      }
      // The reason is shown where operators and the agent's model read it: its unprintable
      // characters (a bidi override, a terminal escape, a line break) written as \\uXXXX, as a
      // preview's are.
      String reason = dev.gatehouse.activities.text.Unprintables.escaped(d.reason());
      Approvals.Call decided =
          durable.decide(task.id(), new Approvals.Decision(callId, d.decision(), d.argumentsSha256(), reason, admin.keyId(), d.policyVersion()));
      ctx.auditTask(
          admin, task.tenantId(), task.id(), action, callId, "allow", "ok",
          decided.tool() + " " + decided.argumentsSha256()
              + (decided.policyVersion() == null ? "" : " policy " + decided.policyVersion())
              + (reason == null ? "" : ": " + reason));
      // as the listing shows it: the expiry no later than the task's deadline
      return task.deadline() == null ? decided : decided.expiringBy(task.deadline());
    } catch (ApiException e) {
      ctx.auditTask(admin, task.tenantId(), task.id(), action, target, "deny", e.code(), e.getMessage());
      throw e;
    }
  }

  /**
   * Whether {@code call} was decided by {@code d}: the same call, verdict, arguments, reason (as
   * kept: escaped), policy version and deciding key.
   */
  private static boolean taken(Approvals.Call call, DecisionBody d, AdminCaller admin) {
    String status = Approvals.APPROVE.equals(d.decision()) ? "approved" : "denied";
    return status.equals(call.status())
        && admin.keyId().equals(call.decidedBy())
        && d.argumentsSha256().equals(call.argumentsSha256())
        && java.util.Objects.equals(dev.gatehouse.activities.text.Unprintables.escaped(d.reason()), call.reason())
        && (d.policyVersion() == null || d.policyVersion().equals(call.policyVersion()));
  }

  /** The task {@code id} of a workflow that may hold approvals, if the admin may see it; 404 {@code task_not_found} otherwise. */
  private TaskRecord task(AdminCaller admin, String id) {
    if (!TASK_ID.matcher(id).matches()) {
      throw new ApiException(ErrorCode.TASK_NOT_FOUND, "no such task");
    }
    return ctx.jdbi
        .onDemand(TaskIndexDao.class)
        .find(id)
        .filter(t -> AdminContext.visible(admin, t.tenantId()) && workflows.contains(t.workflow()))
        .orElseThrow(() -> new ApiException(ErrorCode.TASK_NOT_FOUND, "no task '" + id + "' that holds calls for approval"));
  }
}
