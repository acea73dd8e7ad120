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
 * {@code betas}: the Anthropic betas the caller asked for that Gatehouse passes on ({@code
 * anthropic-beta}, on the Anthropic face, of those {@code models.anthropicBetas} allows), sent to
 * an Anthropic provider when the call is not translated; empty otherwise.
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
    ModelBudget budget,
    java.util.List<String> betas)
    implements GovernedCall {

  public ModelCall {
    betas = betas == null ? java.util.List.of() : java.util.List.copyOf(betas);
  }

  /** A call that asks for no Anthropic beta. */
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
      int attempt,
      ModelBudget budget) {
    this(kind, dialect, alias, body, stream, caller, authenticatedAgent, requestId, taskId, stepId, attempt, budget, null);
  }

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
    EMBEDDINGS,
    /**
     * Counting a chat request's input tokens (Anthropic's {@code /v1/messages/count_tokens}): the
     * body is a chat request's; nothing is generated and nothing is spent.
     */
    COUNT_TOKENS
  }

  /**
   * A call through a model face, not a task's: its caller runs the tools the answer calls itself,
   * where a task's are called through Gatehouse (and their arguments pass {@code tool-arguments}).
   */
  public boolean callerRunsTools() {
    return taskId == null;
  }

  /** This call with {@code body} in place of its own (a policy redacted it; the original is left as it was). */
  public ModelCall withBody(ObjectNode body) {
    return new ModelCall(kind, dialect, alias, body, stream, caller, authenticatedAgent, requestId, taskId, stepId, attempt, budget, betas);
  }

  @Override
  public String target() {
    return alias;
  }
}
