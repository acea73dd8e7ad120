package dev.gatehouse.frontend.core.workflows;

import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import java.time.Duration;

/**
 * A workflow type agents may start as a task ({@code POST /v1/tasks}): it checks a submission
 * completely, before anything starts, and says what to start.
 */
public interface TaskWorkflow {
  /** The name agents submit as {@code "workflow"}, and the Temporal workflow type. */
  String type();

  /**
   * What to start for this submission by this agent, whose permission to run the workflow type
   * has been checked already. Throws {@code ApiException} (a 4xx) when the submission cannot run;
   * nothing has started then.
   */
  DurableCalls.Start prepare(AgentCaller caller, TaskSubmission submission, Duration timeout);
}
