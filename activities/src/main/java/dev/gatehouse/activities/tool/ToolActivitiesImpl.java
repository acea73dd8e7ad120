package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.task.TaskResults;
import dev.gatehouse.activities.task.TenantSlots;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link ToolInvoker} inside a Temporal activity and turns its failures into Temporal's. The
 * call heartbeats throughout ({@link Heartbeats}), so a cancelled step's upstream call is aborted
 * and the activity ends as cancelled. A large result of a call that asks for it ({@link
 * ToolCallRequest#storeOver()}: the agent loop's) is stored by {@link TaskResults}, and the
 * activity returns a reference instead; a retried attempt stores its own result anew. A call
 * whose tenant already runs its whole share of this worker's slots ({@link TenantSlots}) is
 * refused before anything is sent, and waits in its task.
 */
public class ToolActivitiesImpl implements ToolActivities {
  private static final Logger LOG = LoggerFactory.getLogger(ToolActivitiesImpl.class);

  /**
   * The longest {@code Retry-After} a retry waits for. An upstream asking for more gets no sooner
   * retry than it asked for: the step fails instead, saying so.
   */
  public static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(10);

  private final ToolInvoker invoker;
  private final Heartbeats heartbeats;
  private final TaskResults results;
  private final TenantSlots slots;

  public ToolActivitiesImpl(ToolInvoker invoker, Heartbeats heartbeats, TaskResults results, TenantSlots slots) {
    this.invoker = invoker;
    this.heartbeats = heartbeats;
    this.results = results;
    this.slots = slots;
  }

  @Override
  public ToolCallResult call(ToolCallRequest request) {
    ActivityExecutionContext execution = Activity.getExecutionContext();
    ActivityInfo info = execution.getInfo();
    TenantSlots.Slot slot = slots.takeOrRefuse(request.caller() == null ? null : request.caller().tenantId());
    try (slot;
        Heartbeats.Beat beat = heartbeats.start(execution)) {
      // Progress travels as heartbeat details, where the front end waiting for the task reads it.
      CallContext ctx =
          new CallContext(
              info.getWorkflowId(),
              info.getActivityId(),
              info.getAttempt(),
              (progress, total, message) -> beat.progress(ToolProgress.of(progress, total, message)));
      try {
        ToolCallResult result = invoker.invoke(ToolCall.of(request.tool(), request.args(), request.caller(), ctx));
        beat.throwIfStopped();
        return results.keep(request, info.getWorkflowId(), result);
      } catch (ToolCallException e) {
        beat.throwIfStopped();
        throw failureOf(e, info.getRetryOptions(), info.getAttempt());
      } catch (RuntimeException e) {
        beat.throwIfStopped();
        if (!(e instanceof ApplicationFailure)) {
          // A bug, not the upstream's failure: the engine's own line for it is quieted in the
          // shipped configs (every failed attempt would write one), so it is logged here.
          LOG.error("tool call {} of task {} failed inside Gatehouse", request.stepId(), info.getWorkflowId(), e);
        }
        throw e;
      }
    }
  }

  /**
   * Temporal's failure for a failed call: non-retryable when another attempt cannot help (or the
   * upstream asked to wait longer than {@link #MAX_RETRY_AFTER}); else retryable, after the
   * upstream's {@code Retry-After} when it sent one. A rate-limit policy's refusal is none of
   * these: the workflow waits for the limit and calls again ({@link RateLimitWaits}), so it does
   * not count against the tool's attempts.
   */
  static ApplicationFailure failureOf(ToolCallException e, RetryOptions policy, int attempt) {
    if (e.rateLimits() != null && e.rateLimits().retryAfter() != null) {
      return RateLimitWaits.failure(e.getMessage(), e.rateLimits().retryAfter());
    }
    if (!e.retryable()) {
      return ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.type());
    }
    if (e.retryAfter().isEmpty()) {
      return ApplicationFailure.newFailure(e.getMessage(), e.type());
    }
    Duration asked = e.retryAfter().get();
    if (asked.compareTo(MAX_RETRY_AFTER) > 0) {
      return ApplicationFailure.newNonRetryableFailure(
          e.getMessage() + " (it asked to retry after " + asked.toSeconds() + " s, longer than the "
              + MAX_RETRY_AFTER.toMinutes() + " minutes Gatehouse waits)",
          e.type());
    }
    return ApplicationFailure.newFailureWithCauseAndDelay(e.getMessage(), e.type(), null, retryDelay(asked, policy, attempt));
  }

  /**
   * The wait before the next attempt when the upstream sent {@code Retry-After}: what it asked,
   * but never less than the tool's own policy would wait after this attempt.
   */
  public static Duration retryDelay(Duration retryAfter, RetryOptions policy, int attempt) {
    Duration byPolicy = Duration.ZERO;
    if (policy != null && policy.getInitialInterval() != null) {
      double millis = policy.getInitialInterval().toMillis() * Math.pow(Math.max(1.0, policy.getBackoffCoefficient()), attempt - 1);
      byPolicy = Duration.ofMillis((long) Math.min(millis, Long.MAX_VALUE / 2));
      if (policy.getMaximumInterval() != null && byPolicy.compareTo(policy.getMaximumInterval()) > 0) {
        byPolicy = policy.getMaximumInterval();
      }
    }
    return retryAfter.compareTo(byPolicy) > 0 ? retryAfter : byPolicy;
  }
}
