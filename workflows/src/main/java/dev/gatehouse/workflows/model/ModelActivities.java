package dev.gatehouse.workflows.model;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * One governed, non-streamed call of a model (a chat completion in the OpenAI format), through
 * the same invoker as the model faces: the alias is resolved, the caller's permission checked,
 * the call routed to a provider (with its own fallbacks), and a usage row written for every
 * attempt, naming the task and step.
 *
 * <p>Failures are {@code ApplicationFailure}s whose type is the gateway's stable code ({@code
 * model_not_found}, {@code model_not_allowed}, {@code invalid_request}, {@code rate_limited},
 * {@code upstream_unavailable}, ...): non-retryable when another attempt cannot help, and
 * retried after the provider's {@code Retry-After} when it sent one. The activity does not
 * heartbeat: a call already sent runs to its end or its timeout.
 */
@ActivityInterface(namePrefix = "Model.")
public interface ModelActivities {

  /** The activity type of {@link #call}. */
  String CALL = "Model.Call";

  @ActivityMethod
  ModelCallResult call(ModelCallRequest request);
}
