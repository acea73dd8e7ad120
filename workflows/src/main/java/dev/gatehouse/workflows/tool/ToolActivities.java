package dev.gatehouse.workflows.tool;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * One governed call of a registered tool.
 *
 * <p>Guarantees: the upstream receives {@code Idempotency-Key: <workflowId>/<activityId>}, the
 * same value on every attempt, so it can deduplicate a retried side effect. Failures that a retry
 * cannot fix (a 4xx other than 408/429, an unknown tool, arguments the tool cannot take, a response
 * over the size cap) are thrown as non-retryable {@code ApplicationFailure}s whose type is one of
 * {@link ToolFailureTypes}; everything else is retried with the tool's retry policy.
 */
@ActivityInterface(namePrefix = "Tool.")
public interface ToolActivities {

  @ActivityMethod
  ToolCallResult call(ToolCallRequest request);
}
