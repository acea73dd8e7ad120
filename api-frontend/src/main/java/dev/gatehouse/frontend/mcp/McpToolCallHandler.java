package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.McpRoute;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpToolResolver.McpItem;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.activities.tool.CallContext;
import dev.gatehouse.activities.tool.ToolCall;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.activities.tool.ToolInvoker;
import dev.gatehouse.frontend.errors.ApiException;
import dev.gatehouse.frontend.tasks.TaskService;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.policies.tools.ArgumentSchemaPolicy;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TimeoutFailure;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code tools/call} on the MCP face. {@link McpHttpFilter} hands every such request here once it
 * has checked it, and it is answered on the request's own thread and response, without the SDK's
 * session machinery: the call is resolved and authorized for the agent, then run through
 * {@link ToolInvoker} (read-only tools directly on this thread, the others as a durable {@code
 * ToolCallWorkflow} whose result this thread waits for). What the upstream sends meanwhile
 * (progress, log messages, sampling and elicitation requests) goes to the agent on the same
 * response ({@link ResponseChannel}); {@code notifications/cancelled} stops the wait, and a durable
 * call's workflow is cancelled too.
 */
final class McpToolCallHandler {
  private static final Logger LOG = LoggerFactory.getLogger(McpToolCallHandler.class);
  private static final Duration PROGRESS_POLL = Duration.ofMillis(250);

  private final ToolCatalog httpTools;
  private final McpToolResolver resolver;
  private final McpUpstreams upstreams;
  private final ToolInvoker invoker;
  private final TaskService tasks;
  private final WorkflowClient workflows;
  private final Duration maxDurableWait;
  /** Kept, so each tool's compiled schema is reused (the policy caches compiled schemas). */
  private final ArgumentSchemaPolicy schemaPolicy = new ArgumentSchemaPolicy();
  /** Calls being answered, by session and JSON-RPC id. */
  private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();

  McpToolCallHandler(
      ToolCatalog httpTools,
      McpToolResolver resolver,
      McpUpstreams upstreams,
      ToolInvoker invoker,
      TaskService tasks,
      WorkflowClient workflows,
      Duration maxDurableWait) {
    this.httpTools = httpTools;
    this.resolver = resolver;
    this.upstreams = upstreams;
    this.invoker = invoker;
    this.tasks = tasks;
    this.workflows = workflows;
    this.maxDurableWait = maxDurableWait;
  }

  /** One call being answered: cancelled when the agent says so; its task once it has one. */
  private static final class InFlight {
    final CompletableFuture<Boolean> cancelled = new CompletableFuture<>();
    volatile String taskId;
  }

  /** What a tools/call names: an HTTP tool or an MCP tool, authorized for this agent here. */
  private record CallTarget(String name, McpItem mcp, ToolDefinition http, boolean durable) {}

  /**
   * Answers the {@code tools/call} request {@code message} (which has an id) of {@code session} on
   * {@code response}: the result, or a JSON-RPC error with Gatehouse's code in {@code data.code}.
   */
  void handle(GatewaySession session, McpRequestContext ctx, JsonNode message, HttpServletResponse response) {
    ResponseChannel channel = new ResponseChannel(response, session, message.get("id"));
    String key = session.id + "\n" + ctx.jsonRpcId();
    InFlight call = new InFlight();
    inFlight.put(key, call);
    Object result = null;
    McpError error = null;
    try {
      result = call(session, ctx, message.path("params"), channel, call);
    } catch (McpError e) {
      error = e;
    } catch (RuntimeException e) {
      LOG.warn("tools/call in session {} failed inside Gatehouse: {}", session.id, e.toString());
      error = McpErrors.error(McpSchema.ErrorCodes.INTERNAL_ERROR, "internal_error", "the call failed inside Gatehouse");
    } finally {
      inFlight.remove(key, call);
    }
    if (call.cancelled.isDone()) {
      error = McpErrors.error(-32800, "cancelled", "Request cancelled");
    }
    channel.finish(result, error);
  }

  /** {@code notifications/cancelled} (an SDK notification handler). */
  Mono<Void> cancelled(McpAsyncServerExchange ex, Object params) {
    JsonNode requestId = McpJson.tree(params).get("requestId");
    if (requestId == null || !(requestId.isTextual() || requestId.isIntegralNumber())) {
      return Mono.empty();
    }
    Object id = requestId.isTextual() ? requestId.asText() : (Object) requestId.asLong();
    InFlight call = inFlight.get(ex.sessionId() + "\n" + id);
    if (call != null) {
      call.cancelled.complete(true);
      cancelTask(call.taskId);
    }
    return Mono.empty();
  }

  private Object call(GatewaySession session, McpRequestContext ctx, JsonNode params, ResponseChannel channel, InFlight call) {
    String name = params.path("name").asText("");
    JsonNode args =
        params.has("arguments") && !params.get("arguments").isNull()
            ? params.get("arguments")
            : JsonNodeFactory.instance.objectNode();
    if (name.isEmpty()) {
      throw McpErrors.invalidParams("invalid_request", "tools/call needs a tool 'name'");
    }
    if (!args.isObject()) {
      throw McpErrors.invalidParams("invalid_arguments", "'arguments' must be an object");
    }
    Object progressToken = null;
    JsonNode token = params.path("_meta").get("progressToken");
    if (token != null && !token.isNull()) {
      progressToken = McpJson.OBJECT_MAPPER.convertValue(token, Object.class);
    }
    CallTarget target = resolve(ctx, name);
    return target.durable()
        ? durableCall(channel, ctx, call, target, args, progressToken)
        : directCall(channel, session, ctx, call, target, args, progressToken);
  }

  private CallTarget resolve(McpRequestContext ctx, String name) {
    var agent = ctx.caller().agent();
    VirtualServer selection = ctx.selection();
    Optional<ToolDefinition> http =
        httpTools.find(name).filter(t -> t.tenantId() == null || t.tenantId().equals(agent.tenantId()));
    McpItem mcp = http.isPresent() ? null : resolver.find(agent.tenantId(), McpCatalogEntry.TOOL, name).orElse(null);
    if ((http.isEmpty() && mcp == null) || (selection != null && !Patterns.anyMatches(selection.tools(), name))) {
      throw McpErrors.invalidParams("unknown_tool", "Unknown tool: " + name);
    }
    var decision = AccessPolicy.tool(agent.permissions(), ctx.caller().scopes(), name);
    if (!decision.allowed()) {
      throw McpErrors.invalidParams("tool_not_allowed", decision.reason());
    }
    if (http.isPresent()) {
      return new CallTarget(name, null, http.get(), !"GET".equals(http.get().http().method()));
    }
    return new CallTarget(name, mcp, null, mcp.durable());
  }

  // ---------------------------------------------------------------- direct

  private Object directCall(
      ResponseChannel channel,
      GatewaySession session,
      McpRequestContext ctx,
      InFlight call,
      CallTarget target,
      JsonNode args,
      Object agentToken) {
    var agent = ctx.caller().agent();
    Caller caller = new Caller(agent.tenantId(), agent.id(), ctx.caller().scopes());
    String server = target.mcp() == null ? null : target.mcp().server().name();
    if (server != null) {
      session.enter(server, channel);
    }
    Map<String, Object> meta = agentToken == null ? Map.of() : Map.of("progressToken", agentToken);
    // A stdio server's client is shared by all sessions: give the call a token of its own and
    // map its progress back to this agent's token.
    String sharedToken = null;
    if (agentToken != null && target.mcp() != null && McpServerDefinition.STDIO.equals(target.mcp().server().transport())) {
      sharedToken = "gh-" + UUID.randomUUID();
      meta = Map.of("progressToken", sharedToken);
      upstreams.onProgress(
          sharedToken,
          (p, total, message) ->
              channel
                  .progress(new McpSchema.ProgressNotification(agentToken, p, total, message))
                  .onErrorResume(e -> Mono.empty())
                  .subscribe());
    }
    try {
      Mono<Boolean> cancelled = Mono.fromFuture(call.cancelled, true);
      McpRoute route = session.route(meta, cancelled);
      ToolCallResult result;
      if (target.http() != null) {
        // An HTTP tool's request cannot be abandoned midway: it runs on another thread, so a
        // cancellation still answers at once.
        result =
            Mono.fromCallable(() -> invoker.invoke(ToolCall.of(target.name(), args, caller, new CallContext(null, null, 1)).via(route).authenticatedAs(agent)))
                .subscribeOn(Schedulers.boundedElastic())
                .takeUntilOther(cancelled)
                .block();
        if (result == null) {
          throw callError(ToolFailureTypes.CANCELLED, "the call was cancelled");
        }
      } else {
        result = invoker.invoke(ToolCall.of(target.name(), args, caller, new CallContext(null, null, 1)).via(route).authenticatedAs(agent));
      }
      return asCallToolResult(target, result);
    } catch (ToolCallException e) {
      throw callError(e.type(), e.getMessage());
    } finally {
      if (sharedToken != null) {
        upstreams.onProgress(sharedToken, null);
      }
      if (server != null) {
        session.leave(server, channel);
      }
    }
  }

  // ---------------------------------------------------------------- durable

  private Object durableCall(
      ResponseChannel channel, McpRequestContext ctx, InFlight call, CallTarget target, JsonNode args, Object progressToken) {
    ToolCallPolicy policy =
        target.http() != null ? TaskService.policyOf(target.http()) : policyOf(target.mcp().server());
    // Check the arguments now, so a call that cannot succeed starts no task.
    JsonNode schema = target.http() != null ? target.http().inputSchema() : target.mcp().inputSchema();
    var check = schemaPolicy.check(target.name(), schema, args);
    if (!check.allowed()) {
      throw McpErrors.invalidParams("invalid_arguments", check.reason());
    }
    TaskService.Submitted submitted;
    try {
      submitted = tasks.submitToolCall(ctx.caller(), target.name(), args, policy, ctx.idempotencyKey());
    } catch (ApiException e) {
      throw McpErrors.error(
          e.status() == 409 ? McpSchema.ErrorCodes.INVALID_REQUEST : McpErrors.UPSTREAM, e.code(), e.getMessage());
    }
    String taskId = submitted.id();
    call.taskId = taskId;
    if (call.cancelled.isDone()) {
      cancelTask(taskId); // cancelled while the task was being started
    }
    CompletableFuture<ToolCallResult> pending =
        workflows
            .newUntypedWorkflowStub(taskId)
            .getResultAsync(maxDurableWait.toMillis(), TimeUnit.MILLISECONDS, ToolCallResult.class);
    try {
      ToolCallResult result = awaitResult(pending, call, taskId, channel, progressToken);
      Object out = asCallToolResult(target, result);
      if (out instanceof ObjectNode node) {
        node.putObject("_meta").put("dev.gatehouse/task-id", taskId);
      }
      return out;
    } catch (WorkflowFailedException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ActivityFailure af && af.getCause() instanceof ApplicationFailure app) {
        throw callError(app.getType(), app.getOriginalMessage() + " (task " + taskId + ")");
      }
      if (cause instanceof CanceledFailure) {
        throw McpErrors.error(McpSchema.ErrorCodes.INTERNAL_ERROR, "canceled", "the call was cancelled (task " + taskId + ")");
      }
      if (cause instanceof TimeoutFailure) {
        throw McpErrors.upstream("timed_out", "the call timed out (task " + taskId + ")");
      }
      throw McpErrors.upstream("upstream_error", "the call failed (task " + taskId + ")");
    } catch (TimeoutException e) {
      throw McpErrors.upstream(
          "still_running", "the call is still running as task " + taskId + "; see /v1/tasks/" + taskId);
    }
  }

  /**
   * Waits for a durable call's result, or until the agent cancels it (the answer then no longer
   * matters; the cancelled handler stops the task). When the agent asked for progress, the tool's
   * progress (the activity's heartbeat details) is read while waiting and relayed as it changes.
   */
  private ToolCallResult awaitResult(
      CompletableFuture<ToolCallResult> pending, InFlight call, String taskId, ResponseChannel channel, Object progressToken)
      throws TimeoutException {
    long deadline = System.nanoTime() + maxDurableWait.toNanos();
    CompletableFuture<Object> either = CompletableFuture.anyOf(pending, call.cancelled);
    ToolProgress last = null;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException();
      }
      long slice = progressToken == null ? left : Math.min(left, PROGRESS_POLL.toNanos());
      try {
        either.get(slice, TimeUnit.NANOSECONDS);
      } catch (TimeoutException stillRunning) {
        ToolProgress now = progressToken == null ? null : progressOf(taskId);
        if (now != null && !now.equals(last)) {
          last = now;
          relay(channel, progressToken, now);
        }
        continue;
      } catch (ExecutionException | CompletionException e) {
        // the result failed: read below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw McpErrors.error(McpSchema.ErrorCodes.INTERNAL_ERROR, "interrupted", "Gatehouse is shutting down");
      }
      if (call.cancelled.isDone()) {
        throw McpErrors.error(-32800, "cancelled", "Request cancelled");
      }
      ToolCallResult result;
      try {
        result = pending.join();
      } catch (CompletionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof WorkflowFailedException wf) {
          throw wf;
        }
        if (cause instanceof TimeoutException te) {
          throw te;
        }
        throw cause instanceof RuntimeException re ? re : e;
      }
      if (progressToken != null) {
        // What the upstream reported after the last value seen live, in order, before the answer.
        List<ToolProgress> all = result.progress() == null ? List.of() : result.progress();
        int from = last == null ? 0 : all.lastIndexOf(last) + 1;
        for (ToolProgress p : all.subList(Math.max(0, from), all.size())) {
          relay(channel, progressToken, p);
        }
      }
      return result;
    }
  }

  private static void relay(AgentChannel channel, Object token, ToolProgress p) {
    channel
        .progress(new McpSchema.ProgressNotification(token, p.progress(), p.total(), p.message()))
        .onErrorResume(e -> Mono.empty())
        .block(Duration.ofSeconds(5));
  }

  private ToolProgress progressOf(String taskId) {
    try {
      var response =
          workflows
              .getWorkflowServiceStubs()
              .blockingStub()
              .describeWorkflowExecution(
                  io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder()
                      .setNamespace(workflows.getOptions().getNamespace())
                      .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(taskId))
                      .build());
      for (var activity : response.getPendingActivitiesList()) {
        if (activity.hasHeartbeatDetails()) {
          return workflows
              .getOptions()
              .getDataConverter()
              .fromPayloads(0, Optional.of(activity.getHeartbeatDetails()), ToolProgress.class, ToolProgress.class);
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("could not read the progress of task {}: {}", taskId, e.toString());
    }
    return null;
  }

  private void cancelTask(String taskId) {
    if (taskId == null) {
      return;
    }
    try {
      workflows.newUntypedWorkflowStub(taskId).cancel();
    } catch (RuntimeException e) {
      LOG.debug("could not cancel task {}: {}", taskId, e.toString());
    }
  }

  static ToolCallPolicy policyOf(McpServerDefinition server) {
    var retry = server.retryOrDefault();
    return new ToolCallPolicy(
        server.timeoutOrDefault().toMillis(),
        retry.maxAttempts(),
        retry.initialInterval().toMillis(),
        retry.backoff(),
        retry.maxInterval().toMillis());
  }

  // ---------------------------------------------------------------- answers

  /** MCP tools answer a CallToolResult already; an HTTP tool's body becomes one. */
  private static Object asCallToolResult(CallTarget target, ToolCallResult result) {
    if (target.mcp() != null) {
      return result.output();
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    JsonNode body = result.output();
    String text = body == null ? "" : body.isTextual() ? body.asText() : body.toString();
    out.putArray("content").addObject().put("type", "text").put("text", text);
    if (body != null && body.isObject()) {
      out.set("structuredContent", body);
    }
    out.put("isError", false);
    return out;
  }

  private static McpError callError(String type, String message) {
    return switch (type) {
      case ToolFailureTypes.INVALID_ARGUMENTS -> McpErrors.invalidParams("invalid_arguments", message);
      case ToolFailureTypes.TOOL_NOT_ALLOWED -> McpErrors.invalidParams("tool_not_allowed", message);
      case ToolFailureTypes.UNKNOWN_TOOL -> McpErrors.invalidParams("unknown_tool", message);
      case ToolFailureTypes.CANCELLED -> McpErrors.error(-32800, "cancelled", "Request cancelled");
      case ToolFailureTypes.CREDENTIALS_UNAVAILABLE -> McpErrors.upstream("credentials_unavailable", message);
      case ToolFailureTypes.UPSTREAM_CLIENT_ERROR -> McpErrors.upstream("upstream_rejected", message);
      case ToolFailureTypes.RESPONSE_TOO_LARGE -> McpErrors.upstream("response_too_large", message);
      default -> McpErrors.upstream("upstream_error", message);
    };
  }
}
