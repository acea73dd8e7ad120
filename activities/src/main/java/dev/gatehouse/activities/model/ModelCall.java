package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.chain.GovernedCall;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.workflows.model.ModelBudget;
import dev.gatehouse.workflows.tool.Caller;

/**
 * One model call as a face or a workflow step made it: the model alias ({@code body.model} as the
 * caller sent it), the request {@code body} in the caller's {@code dialect} (every member the
 * caller sent, known or not; the invoker never changes it in place), whether it streams, and on
 * whose behalf. {@code taskId}/{@code stepId} are null on the direct path. {@code budget} is what an
 * agent task may still spend on the call (null: not bounded by a task; see {@link CheckTaskBudget}).
 */
public record ModelCall(
    Kind kind,
    Dialect dialect,
    String alias,
    ObjectNode body,
    boolean stream,
    Caller caller,
    Agent authenticatedAgent,
    String requestId,
    String taskId,
    String stepId,
    int attempt,
    ModelBudget budget)
    implements GovernedCall {

  /** A call no task budget bounds. */
  public ModelCall(
      Kind kind,
      Dialect dialect,
      String alias,
      ObjectNode body,
      boolean stream,
      Caller caller,
      Agent authenticatedAgent,
      String requestId,
      String taskId,
      String stepId,
      int attempt) {
    this(kind, dialect, alias, body, stream, caller, authenticatedAgent, requestId, taskId, stepId, attempt, null);
  }

  /** What is asked of the model. */
  public enum Kind {
    CHAT,
    EMBEDDINGS
  }

  /** This call with {@code body} in place of its own (a policy redacted it; the original is left as it was). */
  public ModelCall withBody(ObjectNode body) {
    return new ModelCall(kind, dialect, alias, body, stream, caller, authenticatedAgent, requestId, taskId, stepId, attempt, budget);
  }

  @Override
  public String target() {
    return alias;
  }
}
