package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.task.TaskResults;
import dev.gatehouse.activities.task.TenantSlots;
import dev.gatehouse.activities.tool.Heartbeats;
import dev.gatehouse.activities.tool.ToolActivitiesImpl;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import dev.gatehouse.workflows.model.EarlierAttempts;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelBudget;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.model.ModelCallUsage;
import dev.gatehouse.workflows.pipeline.Expansion;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a pipeline's model step through {@link ModelInvoker}, the same invoker as the model faces:
 * a non-streamed OpenAI-format chat call whose usage row names the task (the workflow id), the
 * step and the attempt. Its failures become Temporal's: the type is the gateway's stable code,
 * non-retryable when {@link ModelCallException#retryable()} says another attempt cannot help,
 * and a retry waits at least the provider's {@code Retry-After}.
 *
 * <p>An agent task's request names its large tool results, stored outside the history: they are
 * read back first ({@link TaskResults#resolve}), only those the task itself stored within its
 * tenant, so the provider (and the token count of the task's budget) sees the results, never the
 * references.
 *
 * <p>The call is bounded by the start-to-close timeout the model's recorded policy gives it (which
 * covers its providers' timeouts), and heartbeats while it runs ({@link Heartbeats}): a cancelled
 * task's call hears of it at the next heartbeat, its provider request is aborted, and the call
 * ends as cancelled, giving its slot back at once instead of at the provider's timeout. A call whose
 * tenant already runs its whole share of this worker's slots ({@link TenantSlots}) is refused
 * before anything is sent, and waits in its task.
 */
public class ModelActivitiesImpl implements ModelActivities {
  private static final Logger LOG = LoggerFactory.getLogger(ModelActivitiesImpl.class);
  /** The failure type of a call that broke inside Gatehouse (a bug, or the database unreachable). */
  static final String INTERNAL_ERROR = "internal_error";
  /**
   * The most a step's result may hold, in bytes of JSON: the answer's text twice (its {@code
   * content} and its {@code message}) and the rest. The workflow engine refuses a payload over 2
   * MiB; a larger result was dropped by it, and the step waited for its timeout and was tried (and
   * billed) again.
   */
  static final int MAX_RESULT_BYTES = 3 * 512 * 1024;
  private static final com.fasterxml.jackson.databind.ObjectMapper SIZES = new com.fasterxml.jackson.databind.ObjectMapper();

  private final Function<ModelCall, ModelAnswer> invoker;
  private final TaskResults.Resolver results;
  private final TenantSlots slots;
  /** Null: no heartbeats (tests of one call). */
  private final Heartbeats heartbeats;

  public ModelActivitiesImpl(ModelInvoker invoker, TaskResults.Resolver results, TenantSlots slots, Heartbeats heartbeats) {
    this(invoker::call, results, slots, heartbeats);
  }

  /** With another way to answer calls (tests: a fake provider). */
  ModelActivitiesImpl(Function<ModelCall, ModelAnswer> invoker, TaskResults.Resolver results) {
    this(invoker, results, TenantSlots.unlimited(), null);
  }

  /** With another way to answer calls, a share of the worker's slots per tenant, and heartbeats (or none). */
  ModelActivitiesImpl(
      Function<ModelCall, ModelAnswer> invoker, TaskResults.Resolver results, TenantSlots slots, Heartbeats heartbeats) {
    this.invoker = invoker;
    this.results = results;
    this.slots = slots;
    this.heartbeats = heartbeats;
  }

  @Override
  public ModelCallResult call(ModelCallRequest request) {
    ActivityExecutionContext execution = Activity.getExecutionContext();
    EarlierAttempts earlier = earlierAttempts(execution);
    TenantSlots.Slot slot;
    try {
      slot = slots.takeOrRefuse(request.caller() == null ? null : request.caller().tenantId());
    } catch (ApplicationFailure refused) {
      throw EarlierAttempts.attachTo(refused, earlier);
    }
    try (slot;
        Heartbeats.Beat beat = heartbeats == null ? null : heartbeats.start(execution, earlier)) {
      Billing billing = new Billing(execution, beat, earlier);
      try {
        ModelCallResult result = callHolding(request, execution.getInfo(), billing);
        throwIfStopped(beat);
        return result.withEarlierAttempts(earlier);
      } catch (ApplicationFailure failure) {
        throwIfStopped(beat);
        throw EarlierAttempts.attachTo(failure, billing.billed);
      } catch (RuntimeException e) {
        throwIfStopped(beat);
        throw e;
      }
    }
  }

  /**
   * What the provider billed for this step's earlier attempts, as the last of them left it in its
   * heartbeat's details; null on a first attempt, or when none was billed.
   */
  private static EarlierAttempts earlierAttempts(ActivityExecutionContext execution) {
    if (execution.getInfo().getAttempt() <= 1) {
      return null;
    }
    try {
      return execution.getHeartbeatDetails(EarlierAttempts.class).orElse(null);
    } catch (RuntimeException e) {
      LOG.warn("could not read what the earlier attempts of {} were billed: {}", execution.getInfo().getActivityId(), e.toString());
      return null;
    }
  }

  /**
   * What this step's attempts were billed so far, this one's included once its provider answered:
   * kept as the attempt's heartbeat details at once, so that the next attempt knows of them
   * whatever becomes of this one ({@link EarlierAttempts}).
   */
  private static final class Billing {
    private final ActivityExecutionContext execution;
    private final Heartbeats.Beat beat;
    private final EarlierAttempts earlier;
    private EarlierAttempts billed;

    Billing(ActivityExecutionContext execution, Heartbeats.Beat beat, EarlierAttempts earlier) {
      this.execution = execution;
      this.beat = beat;
      this.earlier = earlier;
      this.billed = earlier;
    }

    /** What the step may still spend in this attempt: its budget, less what earlier attempts were billed. */
    ModelBudget budget(ModelBudget budget) {
      return earlier == null ? budget : earlier.less(budget);
    }

    void paid(ModelAnswer answer) {
      if (answer.usage() == null) {
        return;
      }
      ModelUsage u = answer.usage();
      billed =
          EarlierAttempts.plus(
              billed,
              new ModelCallUsage(u.inputTokens(), u.cachedInputTokens(), u.outputTokens(), u.reasoningTokens(), u.estimated()),
              answer.cost() == null ? null : answer.cost().toPlainString());
      if (beat != null) {
        beat.progress(billed);
      } else {
        execution.heartbeat(billed);
      }
    }
  }

  /** A call told to stop (its task was cancelled) ends as Temporal asked, whatever its aborted request made of it. */
  private static void throwIfStopped(Heartbeats.Beat beat) {
    if (beat != null) {
      beat.throwIfStopped();
    }
  }

  private ModelCallResult callHolding(ModelCallRequest request, ActivityInfo info, Billing billing) {
    long started;
    ModelAnswer answer;
    try {
      String tenant = request.caller() == null ? null : request.caller().tenantId();
      ModelCall call =
          new ModelCall(
              ModelCall.Kind.CHAT,
              Dialect.OPENAI,
              request.model(),
              results.resolve(request.body(), tenant, info.getWorkflowId()),
              false,
              request.caller(),
              null,
              null,
              info.getWorkflowId(),
              request.stepId(),
              info.getAttempt(),
              billing.budget(request.budget()));
      started = System.nanoTime();
      answer = invoker.apply(call);
      billing.paid(answer);
      if (messageOf(answer) == null) {
        // A same-dialect answer is passed on unread by the faces; a step needs its message.
        throw new ModelCallException(
            ModelCodes.UPSTREAM_ERROR, 502, "provider " + answer.provider() + " gave an answer with no message (choices[0].message)",
            null, null, true);
      }
    } catch (ModelCallException e) {
      throw failureOf(e, info.getRetryOptions(), info.getAttempt(), ToolActivitiesImpl.timeLeft(info, java.time.Instant.now()));
    } catch (RuntimeException e) {
      LOG.error("model step {} of task {} failed inside Gatehouse", request.stepId(), info.getWorkflowId(), e);
      throw ApplicationFailure.newFailure("the model call failed inside Gatehouse; see the worker's log", INTERNAL_ERROR);
    }
    ModelCallResult result = resultOf(answer, Duration.ofNanos(System.nanoTime() - started).toMillis());
    if (result.message() != null
        && Expansion.depthOf(result.message(), ToolCallResult.MAX_OUTPUT_DEPTH + 1) > ToolCallResult.MAX_OUTPUT_DEPTH) {
      // Read at JSON's 1,000 levels, it could not be written again inside a task's view or trace.
      throw ApplicationFailure.newNonRetryableFailure(
          "the model's message nests more than " + ToolCallResult.MAX_OUTPUT_DEPTH + " levels deep; at most "
              + ToolCallResult.MAX_OUTPUT_DEPTH + " are allowed",
          ModelCodes.RESPONSE_TOO_LARGE);
    }
    long bytes = bytesOf(result);
    if (bytes > MAX_RESULT_BYTES) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the model's answer (" + bytes + " bytes as a step's result) is larger than a durable step can hold (" + MAX_RESULT_BYTES
              + "); ask for less (max_tokens)",
          ModelCodes.RESPONSE_TOO_LARGE);
    }
    return result;
  }

  /** The size of {@code result} as JSON, in bytes. */
  static long bytesOf(ModelCallResult result) {
    try {
      return SIZES.writeValueAsBytes(result).length;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The step's result from the invoker's answer (an OpenAI chat completion). */
  static ModelCallResult resultOf(ModelAnswer answer, long latencyMs) {
    JsonNode choice = answer.body() == null ? null : answer.body().path("choices").path(0);
    ObjectNode message = assistantMessage(messageOf(answer));
    String finishReason =
        choice != null && choice.path("finish_reason").isTextual() ? choice.get("finish_reason").textValue() : null;
    ModelUsage u = answer.usage() == null ? ModelUsage.NONE : answer.usage();
    return new ModelCallResult(
        message == null ? null : text(message.get("content")),
        message,
        finishReason,
        new ModelCallUsage(u.inputTokens(), u.cachedInputTokens(), u.outputTokens(), u.reasoningTokens(), u.estimated()),
        answer.cost() == null ? null : answer.cost().toPlainString(),
        answer.provider(),
        answer.providerModel(),
        latencyMs,
        answer.policies().isEmpty() ? null : answer.policies());
  }

  /** The answer's first choice's message; null when it has none. */
  private static ObjectNode messageOf(ModelAnswer answer) {
    JsonNode message = answer.body() == null ? null : answer.body().path("choices").path(0).path("message");
    return message != null && message.isObject() ? (ObjectNode) message : null;
  }

  /** The members of an assistant message a step keeps (OpenAI's chat completion message). */
  private static final List<String> ASSISTANT_MEMBERS =
      List.of("content", "refusal", "tool_calls", "function_call", "reasoning_content", "annotations", "audio");

  /**
   * The provider's message as a step keeps it: an assistant's, whatever role it claimed, with the
   * members an assistant message has. An agent loop sends the message back on every later step,
   * possibly to another provider: a message that said it was the {@code system} (or a {@code tool})
   * would become that provider's system prompt (or a tool's answer), and members of the provider's
   * own would travel with it.
   */
  static ObjectNode assistantMessage(ObjectNode message) {
    if (message == null) {
      return null;
    }
    ObjectNode kept = message.objectNode().put("role", "assistant");
    for (String member : ASSISTANT_MEMBERS) {
      if (message.has(member)) {
        kept.set(member, message.get(member));
      }
    }
    return kept;
  }

  /** A message's text: its content as a string, or the text of its text parts, joined; null when it has none. */
  private static String text(JsonNode content) {
    if (content == null || content.isNull()) {
      return null;
    }
    if (content.isTextual()) {
      return content.textValue();
    }
    if (content.isArray()) {
      StringBuilder sb = new StringBuilder();
      boolean any = false;
      for (JsonNode part : content) {
        if (part.path("text").isTextual() && (part.path("type").isMissingNode() || "text".equals(part.path("type").asText()))) {
          sb.append(part.get("text").textValue());
          any = true;
        }
      }
      return any ? sb.toString() : null;
    }
    return content.toString();
  }

  /**
   * Temporal's failure for a failed call, typed by its code: non-retryable when another attempt
   * cannot help, or when the provider asked to wait longer than {@link
   * ToolActivitiesImpl#MAX_RETRY_AFTER}; else retried, after the provider's {@code Retry-After}
   * when it sent one (never sooner than the model's policy would). A rate-limit policy's refusal
   * is none of these: the workflow waits for the limit and calls again ({@link RateLimitWaits}),
   * so it does not count against the model's attempts.
   */
  static ApplicationFailure failureOf(ModelCallException e, RetryOptions policy, int attempt) {
    return failureOf(e, policy, attempt, null);
  }

  /** As {@link #failureOf(ModelCallException, RetryOptions, int)}, for a step with {@code left} of its time (null: not known). */
  static ApplicationFailure failureOf(ModelCallException e, RetryOptions policy, int attempt, Duration left) {
    if (e.rateLimits() != null && e.rateLimits().retryAfter() != null) {
      return RateLimitWaits.failure(e.getMessage(), e.rateLimits().retryAfter());
    }
    if (!e.retryable()) {
      return ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.code());
    }
    Duration asked = e.retryAfter();
    if (asked == null) {
      ApplicationFailure late =
          ToolActivitiesImpl.tooLate(e.getMessage(), e.code(), null, ToolActivitiesImpl.retryDelay(Duration.ZERO, policy, attempt), policy, attempt, left);
      return late != null ? late : ApplicationFailure.newFailure(e.getMessage(), e.code());
    }
    if (asked.compareTo(ToolActivitiesImpl.MAX_RETRY_AFTER) > 0) {
      return ApplicationFailure.newNonRetryableFailure(
          e.getMessage() + " (the provider asked to retry after " + asked.toSeconds() + " s, longer than the "
              + ToolActivitiesImpl.MAX_RETRY_AFTER.toMinutes() + " minutes Gatehouse waits)",
          e.code());
    }
    Duration delay = ToolActivitiesImpl.retryDelay(asked, policy, attempt);
    ApplicationFailure late = ToolActivitiesImpl.tooLate(e.getMessage(), e.code(), asked, delay, policy, attempt, left);
    return late != null ? late : ApplicationFailure.newFailureWithCauseAndDelay(e.getMessage(), e.code(), null, delay);
  }
}
