package dev.gatehouse.activities.chain;

import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.workflows.tool.Caller;

/**
 * What every kind of governed call (a tool call, a model call) tells the steps all kinds share:
 * what is called, on whose behalf, and in which attempt of which task.
 */
public interface GovernedCall {

  /** The tool or model called, by its gateway name; what audit rows and metrics name. */
  String target();

  /** On whose behalf; null only in a malformed request, which {@link ResolveAgent} denies. */
  Caller caller();

  /** The agent as the request was just authenticated, or null: it is read as it is now. */
  Agent authenticatedAgent();

  /** The task (workflow) the call is a step of, or null on the direct path. */
  String taskId();

  /** 1 for the first attempt, more for retries. */
  int attempt();

  /** The id of the agent's request the call serves ({@code X-Request-Id}) on the direct path, or null. */
  default String requestId() {
    return null;
  }
}
