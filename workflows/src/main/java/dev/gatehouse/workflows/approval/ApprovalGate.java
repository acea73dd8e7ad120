package dev.gatehouse.workflows.approval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.tool.Caller;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Holds tool calls until an operator decides on them, in workflow code (deterministic): asks for
 * the decisions (the calls go into the workflow's memo and the audit log), waits at no cost until
 * each call is decided, its approval expires (which counts as a denial) or the task's deadline
 * comes, and takes the decisions the workflow receives as {@link ApprovalHandlers} updates. One
 * gate per workflow run; the agent loop and {@code Governed} (the SPI) both use it.
 *
 * <p>Cancelling the task (or the scope that asked) ends the wait: the calls still undecided are
 * marked {@code canceled}, and a decision that arrives once the cancel request has been seen is
 * refused ({@link Approvals#CLOSED}), so an operator can no longer approve a call of a task that is
 * ending, and no call the task no longer waits for shows as waiting.
 */
public final class ApprovalGate implements ApprovalHandlers {
  private static final LocalActivityOptions AUDIT =
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(5))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(4).setInitialInterval(Duration.ofMillis(200)).build())
          .build();

  /**
   * {@code Workflow.getVersion} change id. Version 1: a cancel that ends the wait marks the calls
   * still undecided {@code canceled} (memo and audit) before the run closes. Asked only then, so
   * no other history carries the marker.
   */
  public static final String MARK_CANCELED_CALLS = "approval-mark-canceled-calls";

  /** One call to hold: its id (unique in the run), tool, arguments and the approval policy's version. */
  public record Ask(String callId, String tool, JsonNode arguments, String policyVersion) {}

  private final Caller caller;
  /** The calls of this run that needed approval, by call id, in the order asked. */
  private final Map<String, Approvals.Call> calls = new LinkedHashMap<>();
  private final Map<String, Long> expiry = new HashMap<>();
  /** The whole arguments of each call asked (the memo has a preview), for {@link #arguments}. */
  private final Map<String, JsonNode> arguments = new HashMap<>();
  /** The scope each call was asked in: once it is cancelled, the call can no longer be decided. */
  private final Map<String, CancellationScope> askedIn = new HashMap<>();

  public ApprovalGate(Caller caller) {
    this.caller = caller;
  }

  /**
   * Asks for a decision on every call of {@code asks} at once, and waits until each is decided,
   * their approvals expire at {@code expiresAt} (epoch millis; an undecided call is then {@code
   * expired}), or {@code deadlineAt} comes first (0: no deadline). Returns the calls as they ended,
   * by call id; null when the deadline came first, the calls still undecided then {@code
   * canceled}. Nothing is recorded when {@code asks} is empty. Throws {@link CanceledFailure} when
   * the scope that asks is cancelled first, the calls still undecided then {@code canceled}.
   */
  public Map<String, Approvals.Call> ask(List<Ask> asks, long expiresAt, long deadlineAt) {
    Map<String, Approvals.Call> ended = new LinkedHashMap<>();
    if (asks.isEmpty()) {
      return ended;
    }
    List<String> ids = new ArrayList<>();
    String deciders = "admin keys of tenant " + caller.tenantId() + " or of the platform";
    // What operators are shown: a call cannot wait past the deadline (an agent loop's
    // limits.deadline), where it ends canceled; a day's default wait showed a day where the loop
    // had minutes left. The expiry itself stays the approval's.
    String shownExpiry = Instant.ofEpochMilli(deadlineAt == 0 ? expiresAt : Math.min(expiresAt, deadlineAt)).toString();
    for (Ask a : asks) {
      if (calls.containsKey(a.callId())) {
        throw new IllegalArgumentException("call id " + a.callId() + " was asked for approval already in this run");
      }
      calls.put(
          a.callId(),
          new Approvals.Call(
              a.callId(), a.tool(), Approvals.sha256(a.arguments()), a.policyVersion(), Approvals.preview(a.arguments()),
              deciders, shownExpiry, "pending", null, null));
      expiry.put(a.callId(), expiresAt);
      arguments.put(a.callId(), a.arguments());
      askedIn.put(a.callId(), CancellationScope.current());
      ids.add(a.callId());
    }
    publish();
    audit(ApprovalAudit.REQUESTED, ids);
    long until = deadlineAt == 0 ? expiresAt : Math.min(expiresAt, deadlineAt);
    try {
      Workflow.await(
          Duration.ofMillis(Math.max(0, until - Workflow.currentTimeMillis())),
          () -> ids.stream().noneMatch(id -> calls.get(id).pending()));
    } catch (CanceledFailure canceled) {
      List<String> undecided = ids.stream().filter(id -> calls.get(id).pending()).toList();
      // Histories of runs cancelled while they waited, recorded before this version, left the
      // calls pending; they must still replay.
      if (!undecided.isEmpty() && Workflow.getVersion(MARK_CANCELED_CALLS, Workflow.DEFAULT_VERSION, 1) >= 1) {
        // The audit is a local activity: in the cancelled scope it would be cancelled before it ran.
        Workflow.newDetachedCancellationScope(() -> mark(undecided, "canceled", ApprovalAudit.CANCELED)).run();
      }
      throw canceled;
    }
    List<String> undecided = ids.stream().filter(id -> calls.get(id).pending()).toList();
    long now = Workflow.currentTimeMillis();
    if (!undecided.isEmpty() && deadlineAt != 0 && now >= deadlineAt && now < expiresAt) {
      // The task ends at its deadline: the calls still waiting will never be decided.
      mark(undecided, "canceled", ApprovalAudit.CANCELED);
      return null;
    }
    if (!undecided.isEmpty()) {
      mark(undecided, "expired", ApprovalAudit.EXPIRED);
    }
    for (String id : ids) {
      ended.put(id, calls.get(id));
    }
    return ended;
  }

  private void mark(List<String> ids, String status, String auditAction) {
    for (String id : ids) {
      calls.put(id, calls.get(id).with(status, null, null));
    }
    publish();
    audit(auditAction, ids);
  }

  /** Audit rows for {@code ids}; a failure to write them is logged and does not stop the task. */
  private void audit(String action, List<String> ids) {
    List<Approvals.Call> asked = ids.stream().map(calls::get).toList();
    try {
      Workflow.newLocalActivityStub(ApprovalAudit.class, AUDIT).record(action, caller.tenantId(), caller.agentId(), asked);
    } catch (ActivityFailure e) {
      Workflow.getLogger(ApprovalGate.class).warn("could not audit {} of {} calls", action, asked.size(), e);
    }
  }

  /** Puts the approvals of this run in the workflow's memo, so the history records each change. */
  private void publish() {
    Workflow.upsertMemo(Map.of(Approvals.PENDING, new ArrayList<>(calls.values())));
  }

  @Override
  public void validateDecide(Approvals.Decision d) {
    Approvals.Call c = d == null || d.callId() == null ? null : calls.get(d.callId());
    if (c == null) {
      throw Approvals.refusal(Approvals.NOT_FOUND, "no call of this task waits for that approval");
    }
    if (c.pending() && askedIn.get(c.callId()).isCancelRequested()) {
      // The cancel request came first (it may be in this very workflow task): the task is ending.
      throw Approvals.refusal(Approvals.CLOSED, "the task was canceled; " + c.callId() + " can no longer be decided");
    }
    if (c.status().equals("expired") || (c.pending() && Workflow.currentTimeMillis() >= expiry.get(c.callId()))) {
      throw Approvals.refusal(Approvals.EXPIRED, "the approval of " + c.callId() + " has expired");
    }
    if (!c.pending()) {
      throw Approvals.refusal(Approvals.DECIDED, c.callId() + " was " + c.status() + " already");
    }
    if (!c.argumentsSha256().equals(d.argumentsSha256())) {
      throw Approvals.refusal(
          Approvals.MISMATCH, "the decision names other arguments than " + c.callId() + " has (argumentsSha256 differs)");
    }
    if (d.policyVersion() != null && !d.policyVersion().equals(c.policyVersion())) {
      throw Approvals.refusal(
          Approvals.MISMATCH,
          "the decision names approval policy " + d.policyVersion() + ", but " + c.callId() + " was held under "
              + (c.policyVersion() == null ? "no recorded version" : c.policyVersion()));
    }
    if (!Approvals.APPROVE.equals(d.decision()) && !Approvals.DENY.equals(d.decision())) {
      throw Approvals.refusal(Approvals.INVALID, "a decision is 'approve' or 'deny'");
    }
  }

  @Override
  public Approvals.Call decide(Approvals.Decision d) {
    Approvals.Call c =
        calls.get(d.callId()).with(Approvals.APPROVE.equals(d.decision()) ? "approved" : "denied", d.decidedBy(), d.reason());
    calls.put(c.callId(), c);
    publish();
    return c;
  }

  @Override
  public List<Approvals.Call> approvals() {
    return new ArrayList<>(calls.values());
  }

  @Override
  public JsonNode arguments(String callId) {
    JsonNode args = callId == null ? null : arguments.get(callId);
    return args == null ? null : args.deepCopy();
  }
}
