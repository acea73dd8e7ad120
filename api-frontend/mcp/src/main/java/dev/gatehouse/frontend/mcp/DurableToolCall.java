package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.tools.ArgumentSchemaPolicy;
import dev.gatehouse.registry.tasks.TaskRecord;
import dev.gatehouse.registry.tasks.TaskStatus;
import dev.gatehouse.workflows.task.FailureCodes;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.modelcontextprotocol.spec.McpSchema;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TimeoutFailure;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;

/**
 * A {@code tools/call} on the durable path (tools that change things): the call becomes a {@code
 * ToolCallWorkflow} task (once per {@code Idempotency-Key}), and the request waits for its result,
 * relaying the tool's progress (its activity's heartbeats) when the agent asked for it. The
 * answer names the task in {@code _meta["dev.gatehouse/task-id"]}, so the agent can find its
 * trace.
 */
final class DurableToolCall {
  private final DurableCalls durable;
  private final Duration maxWait;
  private final Duration progressPoll;
  /** Kept, so each tool's compiled schema is reused (the policy caches compiled schemas). */
  private final ArgumentSchemaPolicy schemaPolicy = new ArgumentSchemaPolicy();

  DurableToolCall(DurableCalls durable, Duration maxWait, Duration progressPoll) {
    this.durable = durable;
    this.maxWait = maxWait;
    this.progressPoll = progressPoll;
  }

  JsonNode run(
      ResponseChannel channel,
      McpRequestContext ctx,
      McpToolCallHandler.InFlight call,
      McpToolCallHandler.CallTarget target,
      JsonNode args,
      Object progressToken) {
    ToolCallPolicy policy =
        target.http() != null ? DurableCalls.policyOf(target.http()) : DurableCalls.policyOf(target.mcp().server());
    // Check the arguments now, so a call that cannot succeed starts no task.
    JsonNode schema = target.http() != null ? target.http().inputSchema() : target.mcp().inputSchema();
    var check = schemaPolicy.check(target.name(), schema, args);
    if (!check.allowed()) {
      throw McpErrors.of(ErrorCode.INVALID_ARGUMENTS, check.reason());
    }
    // A refusal (ApiException: overloaded, idempotency_key_reused, engine_unavailable) is answered by the handler.
    String taskId = durable.startToolCall(ctx.caller(), target.name(), args, policy, ctx.idempotencyKey()).id();
    call.taskId = taskId;
    if (Boolean.TRUE.equals(call.cancelled.getNow(false))) {
      durable.cancelQuietly(taskId); // cancelled by the agent while the task was being started
    }
    ToolProgress[] last = new ToolProgress[1];
    try {
      ToolCallResult result =
          durable.awaitToolCall(
              taskId,
              maxWait,
              call.cancelled,
              progressPoll,
              progressToken == null
                  ? null
                  : p -> {
                    last[0] = p;
                    relay(channel, progressToken, p);
                  });
      if (progressToken != null) {
        // What the upstream reported after the last value seen live, in order, before the answer.
        List<ToolProgress> all = result.progress() == null ? List.of() : result.progress();
        int from = last[0] == null ? 0 : all.lastIndexOf(last[0]) + 1;
        for (ToolProgress p : all.subList(Math.max(0, from), all.size())) {
          relay(channel, progressToken, p);
        }
      }
      JsonNode out = ToolCallAnswers.result(target.mcp() != null, result);
      if (out instanceof ObjectNode node) {
        node.putObject("_meta").put(ToolCallAnswers.TASK_META, taskId);
      }
      return out;
    } catch (CancellationException e) {
      throw McpErrors.of(ErrorCode.CANCELED, "Request canceled");
    } catch (WorkflowFailedException e) {
      return failure(e.getCause(), taskId);
    } catch (TimeoutException e) {
      return ToolCallAnswers.failed(
          ErrorCode.STILL_RUNNING, "the call is still running as task " + taskId + "; see /v1/tasks/" + taskId, taskId);
    } catch (DurableCalls.ToolCallGone gone) {
      return ended(gone.row());
    }
  }

  /**
   * A call repeated (its {@code Idempotency-Key} again) after the engine let its task go, with no
   * result to give: how the task ended, as the task index recorded it.
   */
  private static JsonNode ended(TaskRecord row) {
    if (row.status() == TaskStatus.COMPLETED) {
      return ToolCallAnswers.failed(
          ErrorCode.HISTORY_UNAVAILABLE,
          "the call completed as task " + row.id() + ", but its result is no longer kept (the engine let it go before it was archived)",
          row.id());
    }
    String code = row.errorCode() != null ? row.errorCode() : ErrorCode.WORKFLOW_FAILED.code();
    boolean retryable = ErrorCode.ofCode(code).map(ErrorCode::retryable).orElse(false);
    String message = row.errorMessage() != null ? row.errorMessage() : "the call ended " + row.status();
    return ToolCallAnswers.failed(code, retryable, message + " (task " + row.id() + ")", row.id());
  }

  /** How the task failed, named by the failure the workflow let through (the activity's own). */
  private static JsonNode failure(Throwable cause, String taskId) {
    if (cause instanceof CanceledFailure) {
      return ToolCallAnswers.failure(ToolFailureTypes.CANCELED, "the call was canceled (task " + taskId + ")", taskId);
    }
    TemporalFailure root = cause instanceof TemporalFailure f ? FailureCodes.root(f) : null;
    if (root instanceof ApplicationFailure app) {
      return ToolCallAnswers.failure(app.getType(), app.getOriginalMessage() + " (task " + taskId + ")", taskId);
    }
    if (root instanceof TimeoutFailure) {
      return ToolCallAnswers.failed(ErrorCode.TIMED_OUT, "the call timed out (task " + taskId + ")", taskId);
    }
    return ToolCallAnswers.failed(ErrorCode.WORKFLOW_FAILED, "the call failed (task " + taskId + ")", taskId);
  }

  private static void relay(AgentChannel channel, Object token, ToolProgress p) {
    channel
        .progress(new McpSchema.ProgressNotification(token, p.progress(), p.total(), p.message()))
        .onErrorResume(e -> Mono.empty())
        .block(Duration.ofSeconds(5));
  }
}
