package dev.gatehouse.activities.chain;

import dev.gatehouse.activities.policy.RateLimitStatus;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.agents.Agent;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One governed call on its way through a {@link PolicyChain}: the request (steps before the call
 * may replace it), what steps found for it (the agent; a kind of call adds its own, as the tool),
 * the response (steps after the call may replace it), and how the call ended. One per call, used
 * by one thread at a time.
 *
 * @param <C> the kind of call
 * @param <R> what the call returns
 */
public class Exchange<C extends GovernedCall, R> {
  /** The outcome of a call that returned; otherwise the outcome is its failure type. */
  public static final String OK = "ok";

  private C request;
  private Agent agent;
  private R response;
  private Decision denial;
  private Throwable failure;
  private String outcome = OK;
  private long elapsedNanos;
  private List<Decision> applied;
  private RateLimitStatus rateLimits;
  private Map<PolicyStep<?>, Object> held;

  public Exchange(C request) {
    this.request = Objects.requireNonNull(request, "request");
  }

  public C request() {
    return request;
  }

  /** For a step before the call that transforms the request (the call then sees this one). */
  public void replaceRequest(C request) {
    this.request = Objects.requireNonNull(request, "request");
  }

  /** The agent the call is made for, once {@link ResolveAgent} found it; else null. */
  public Agent agent() {
    return agent;
  }

  /** The call's result once it returned (as replaced by steps after it); else null. */
  public R response() {
    return response;
  }

  /** For a step after the call that transforms the response (the caller then gets this one). */
  public void replaceResponse(R response) {
    this.response = response;
  }

  /**
   * For a step after the call whose policy refuses what came back (a tool result, a model answer
   * that must reach no one): the response is dropped, and the caller is thrown the denial's
   * exception instead, as for a denial before the call; the audit row names the policy. The steps
   * whose {@code after} has not run yet do not run it (their {@code complete} does).
   */
  public void deny(Decision denial) {
    if (denial == null || denial.allowed()) {
      throw new IllegalArgumentException("deny takes a denial");
    }
    this.denial = denial;
    this.response = null;
  }

  /** The denial that stopped the call, or null when no step denied it. */
  public Decision denial() {
    return denial;
  }

  /** What the caller was thrown (for a denial, the exception it became), or null. */
  public Throwable failure() {
    return failure;
  }

  /**
   * Whether the call's target ({@link GovernedCall#target()}) names a registry entry. The caller
   * chooses the target, so a name that resolved to nothing must not become a metric's label: a
   * client sending a new name with every call would add series without end. True unless an
   * exchange that resolves its target says otherwise.
   */
  public boolean targetResolved() {
    return true;
  }

  /** {@link #OK}, or the failure type the call ended with (a denial's included). */
  public String outcome() {
    return outcome;
  }

  /**
   * How the call ended as its records say it (the audit row, the usage row): {@link #outcome()},
   * unless an exchange knows the call's answer ended otherwise after the chain returned.
   */
  public String recordedOutcome() {
    return outcome();
  }

  /** From the start of the chain to the end of the call and the steps after it; set before completion. */
  public double elapsedSeconds() {
    return elapsedNanos / 1e9;
  }

  /**
   * For a step whose policy entry decided something about this call without denying it: a
   * {@link Decision#transform} (a redaction) or a {@link Decision#record} (a flag, a reservation, a
   * rate limit's take). The audit row and the trace list their {@linkplain Decision#note notes}.
   */
  public void applied(Decision decision) {
    if (!decision.allowed()) {
      throw new IllegalArgumentException("a denial is not applied; a step returns it");
    }
    if (applied == null) {
      applied = new ArrayList<>(2);
    }
    applied.add(decision);
  }

  /** What the audit row says of the call besides its attempt and policies (a model call's fallbacks); null when nothing. */
  public String auditNote() {
    return null;
  }

  /** The notes of what {@link #applied} recorded, in order (a new list each time); empty when nothing was. */
  public List<String> appliedPolicies() {
    if (applied == null) {
      return List.of();
    }
    List<String> notes = new ArrayList<>(applied.size());
    for (Decision d : applied) {
      notes.add(d.note());
    }
    return notes;
  }

  /** What {@link #applied} recorded, in order; empty when nothing was. */
  public List<Decision> appliedDecisions() {
    return applied == null ? List.of() : applied;
  }

  /**
   * What the rate limits that govern the call said of it (what is left, when it refills; for a
   * refusal, when to retry), or null when none governs it. Faces turn it into rate-limit headers.
   */
  public RateLimitStatus rateLimits() {
    return rateLimits;
  }

  /** For the rate-limit step: what the limits said of this call. */
  public void rateLimited(RateLimitStatus status) {
    this.rateLimits = status;
  }

  /**
   * For a step that holds something for this call from its {@code before} to its {@code
   * complete} (a budget's reservations, to settle): kept under the step, which is shared by every
   * call and so keeps nothing per call itself.
   */
  public void hold(PolicyStep<?> step, Object value) {
    if (held == null) {
      held = new IdentityHashMap<>(2);
    }
    held.put(step, value);
  }

  /** What {@code step} {@linkplain #hold held} for this call, or null. */
  @SuppressWarnings("unchecked")
  public <T> T held(PolicyStep<?> step) {
    return held == null ? null : (T) held.get(step);
  }

  void resolvedAgent(Agent agent) {
    this.agent = agent;
  }

  void denied(Decision denial) {
    this.denial = denial;
  }

  void failed(Throwable failure, String type) {
    this.failure = failure;
    this.outcome = type;
  }

  void elapsed(long nanos) {
    this.elapsedNanos = nanos;
  }
}
