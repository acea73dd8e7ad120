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
        throw failureOf(e, info.getRetryOptions(), info.getAttempt(), timeLeft(info, java.time.Instant.now()));
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
    return failureOf(e, policy, attempt, null);
  }

  /**
   * As {@link #failureOf(ToolCallException, RetryOptions, int)}, for a step with {@code left} of
   * its time (null: not known): a retry that would come after that fails the step now, saying so,
   * where the engine would fail it with the attempt's failure alone.
   */
  static ApplicationFailure failureOf(ToolCallException e, RetryOptions policy, int attempt, Duration left) {
    if (e.rateLimits() != null && e.rateLimits().retryAfter() != null) {
      return RateLimitWaits.failure(e.getMessage(), e.rateLimits().retryAfter());
    }
    if (!e.retryable()) {
      return ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.type());
    }
    if (e.retryAfter().isEmpty()) {
      ApplicationFailure late = tooLate(e.getMessage(), e.type(), null, retryDelay(Duration.ZERO, policy, attempt), policy, attempt, left);
      return late != null ? late : ApplicationFailure.newFailure(e.getMessage(), e.type());
    }
    Duration asked = e.retryAfter().get();
    if (asked.compareTo(MAX_RETRY_AFTER) > 0) {
      return ApplicationFailure.newNonRetryableFailure(
          e.getMessage() + " (it asked to retry after " + asked.toSeconds() + " s, longer than the "
              + MAX_RETRY_AFTER.toMinutes() + " minutes Gatehouse waits)",
          e.type());
    }
    Duration delay = retryDelay(asked, policy, attempt);
    ApplicationFailure late = tooLate(e.getMessage(), e.type(), asked, delay, policy, attempt, left);
    return late != null ? late : ApplicationFailure.newFailureWithCauseAndDelay(e.getMessage(), e.type(), null, delay);
  }

  /**
   * The time a step has left for its attempts and the waits between them: until its
   * schedule-to-close timeout, which the engine sets to the task's timeout when the workflow sets
   * none, and past which it makes no further attempt. Null when not known.
   */
  public static Duration timeLeft(io.temporal.activity.ActivityInfo info, java.time.Instant now) {
    Duration whole = info.getScheduleToCloseTimeout();
    if (whole == null || whole.isZero() || whole.isNegative() || info.getScheduledTimestamp() <= 0) {
      return null;
    }
    return Duration.between(now, java.time.Instant.ofEpochMilli(info.getScheduledTimestamp()).plus(whole));
  }

  /**
   * The failure of a step whose next attempt, {@code delay} away, would come when its time has run
   * out ({@code left}): non-retryable, its message saying why no attempt follows. Null when the
   * attempt would come in time, when none would follow anyway (the policy's last), or when the
   * time left is not known.
   */
  public static ApplicationFailure tooLate(
      String message, String type, Duration asked, Duration delay, RetryOptions policy, int attempt, Duration left) {
    if (left == null || delay.compareTo(left) < 0
        || (policy != null && policy.getMaximumAttempts() > 0 && attempt >= policy.getMaximumAttempts())) {
      return null;
    }
    long seconds = Math.max(0, left.toSeconds() + (left.toNanosPart() > 0 ? 1 : 0));
    String wait = asked != null && asked.equals(delay) ? "it asked to retry after " + asked.toSeconds() + " s" : "the next attempt would come after " + Math.max(1, delay.toSeconds()) + " s";
    return ApplicationFailure.newNonRetryableFailure(
        message + " (" + wait + ", and the step's time, bounded by the task's timeout, runs out in " + seconds + " s)", type);
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
