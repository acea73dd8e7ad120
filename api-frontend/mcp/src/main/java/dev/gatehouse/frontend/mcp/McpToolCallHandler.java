package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.http.AfterAnswer;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpToolResolver.McpItem;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.policies.approvals.ApprovalPolicy;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.tools.ToolDefinition;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * {@code tools/call} on the MCP face. {@link McpHttpFilter} hands every such request here once it
 * has checked it, and it is answered on the request's own thread and response, without the SDK's
 * session machinery: the call is resolved and authorized for the agent, then run on the direct
 * path ({@link DirectToolCall}: read-only tools) or the durable one ({@link DurableToolCall}: a
 * task). What reaches the agent before the answer goes on the same response ({@link
 * ResponseChannel}); {@code notifications/cancelled} stops the wait, and a durable call's task is
 * cancelled too. {@link ToolCallAnswers} says how a failure is answered. Admission control bounds
 * both paths: a durable call's task counts as an open task, direct calls in flight are limited
 * per replica; a call refused as {@code overloaded} is answered with HTTP 429 and {@code
 * Retry-After} as well as its JSON-RPC error.
 */
final class McpToolCallHandler {
  private static final Logger LOG = LoggerFactory.getLogger(McpToolCallHandler.class);

  private final ToolCatalog httpTools;
  private final McpToolResolver resolver;
  private final DirectToolCall direct;
  private final DurableToolCall durable;
  private final DurableCalls tasks;
  private final Admission admission;
  private final AuditLog audit;
  private final GatehouseMetrics metrics;
  /** Calls being answered, by session and JSON-RPC id. */
  private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();

  McpToolCallHandler(
      ToolCatalog httpTools,
      McpToolResolver resolver,
      DirectToolCall direct,
      DurableToolCall durable,
      DurableCalls tasks,
      Admission admission,
      AuditLog audit,
      GatehouseMetrics metrics) {
    this.httpTools = httpTools;
    this.resolver = resolver;
    this.direct = direct;
    this.durable = durable;
    this.tasks = tasks;
    this.admission = admission;
    this.audit = audit;
    this.metrics = metrics;
  }

  /**
   * One call being answered: {@code cancelled} completes with true when the agent cancels it (its
   * task is cancelled too), with false when its session ended (the wait stops, a task runs on);
   * its task once it has one.
   */
  static final class InFlight {
    final CompletableFuture<Boolean> cancelled = new CompletableFuture<>();
    volatile String taskId;
  }

  /** What a tools/call names: an HTTP tool or an MCP tool, authorized for this agent here. */
  record CallTarget(String name, McpItem mcp, ToolDefinition http, boolean durable) {}

  /**
   * Answers the {@code tools/call} request {@code message} (which has an id) of {@code session} on
   * {@code response}: the result, or a JSON-RPC error with Gatehouse's code in {@code data.code}.
   */
  void handle(GatewaySession session, McpRequestContext ctx, JsonNode message, HttpServletResponse response) {
    // What the call leaves of its upstream exchange (the end of an MCP server's stream after the
    // response) is read once the agent has its answer.
    try (AfterAnswer afterAnswer = AfterAnswer.open()) {
      answer(session, ctx, message, response);
    }
  }

  private void answer(GatewaySession session, McpRequestContext ctx, JsonNode message, HttpServletResponse response) {
    ResponseChannel channel = new ResponseChannel(response, session, message.get("id"));
    String key = callKey(session.id, ctx.jsonRpcId());
    InFlight call = new InFlight();
    if (inFlight.putIfAbsent(key, call) != null) {
      // MCP: an id is never reused within a session. Run, this call would hide the first from
      // cancel and from the session's end; refused, nothing of it runs.
      channel.finish(
          null,
          McpErrors.of(
              ErrorCode.INVALID_REQUEST,
              "tools/call: a call with this request id is still in flight in this session; use a new id for each request"));
      return;
    }
    session.callStarted(); // not idle while the agent waits on this call
    Object result = null;
    McpError error = null;
    ApiException overloaded = null;
    try {
      result = call(session, ctx, message.path("params"), channel, call);
    } catch (McpError e) {
      error = e;
    } catch (ApiException e) {
      error = McpErrors.of(e);
      overloaded = e.error() == ErrorCode.OVERLOADED ? e : null;
    } catch (RuntimeException e) {
      LOG.warn("tools/call in session {} failed inside Gatehouse: {}", session.id, e.toString());
      error = McpErrors.of(ErrorCode.INTERNAL_ERROR, "the call failed inside Gatehouse");
    } finally {
      inFlight.remove(key, call);
      session.callEnded();
    }
    if (call.cancelled.isDone()) {
      error = McpErrors.of(ErrorCode.CANCELED, "Request canceled");
      overloaded = null;
    }
    if (overloaded != null) {
      // Refused before anything ran or was sent: HTTP says so too (429, Retry-After), for any
      // client or proxy that reads the status rather than the JSON-RPC error.
      channel.finish(error, overloaded.status(), overloaded.headers());
    } else {
      channel.finish(result, error);
    }
  }

  /**
   * Registers a pass-through request of session {@code sessionId} ({@code resources/read},
   * {@code prompts/get}, ...) in flight under its id {@code id}, so that {@code
   * notifications/cancelled} and the session's end reach it as they reach a {@code tools/call};
   * null when a request with that id is in flight already. {@link #leave} when it is done.
   */
  InFlight enter(String sessionId, Object id) {
    InFlight call = new InFlight();
    return inFlight.putIfAbsent(callKey(sessionId, id), call) == null ? call : null;
  }

  void leave(String sessionId, Object id, InFlight call) {
    inFlight.remove(callKey(sessionId, id), call);
  }

  /**
   * The session {@code sessionId} ended (the agent's DELETE, or its agent was deleted): its calls
   * still in flight stop as if the agent had cancelled them (a direct call's upstream is told, and
   * its slot comes back), since their answers have nowhere to go. A durable call's task runs on: it
   * is the agent's to read or cancel through the task API, as after a lost connection.
   */
  void sessionEnded(String sessionId) {
    String prefix = sessionId + "\n";
    inFlight.forEach((key, call) -> {
      if (key.startsWith(prefix)) {
        call.cancelled.complete(false);
      }
    });
  }

  /**
   * The key of request {@code id} (a string or an integer) of session {@code sessionId} among the
   * calls in flight: {@code 7} and {@code "7"} are different ids, as in JSON-RPC.
   */
  static String callKey(String sessionId, Object id) {
    return sessionId + (id instanceof String ? "\ns:" : "\nn:") + id;
  }

  /** {@code notifications/cancelled} (an SDK notification handler). */
  Mono<Void> cancelled(McpAsyncServerExchange ex, Object params) {
    JsonNode requestId = McpJson.tree(params).get("requestId");
    if (requestId == null || !(requestId.isTextual() || requestId.isIntegralNumber())) {
      return Mono.empty();
    }
    Object id = requestId.isTextual() ? requestId.asText() : (Object) requestId.asLong();
    InFlight call = inFlight.get(callKey(ex.sessionId(), id));
    if (call != null) {
      call.cancelled.complete(true);
      if (call.taskId != null) {
        tasks.cancelQuietly(call.taskId);
      }
    }
    return Mono.empty();
  }

  private JsonNode call(GatewaySession session, McpRequestContext ctx, JsonNode params, ResponseChannel channel, InFlight call) {
    if (params.has("name") && !params.get("name").isTextual()) {
      throw McpErrors.of(ErrorCode.INVALID_PARAMS, "tools/call: 'name' must be a string");
    }
    String name = params.path("name").asText("");
    JsonNode args =
        params.has("arguments") && !params.get("arguments").isNull()
            ? params.get("arguments")
            : JsonNodeFactory.instance.objectNode();
    if (name.isEmpty()) {
      throw McpErrors.of(ErrorCode.INVALID_PARAMS, "tools/call needs a tool 'name'");
    }
    if (!args.isObject()) {
      throw McpErrors.of(ErrorCode.INVALID_ARGUMENTS, "'arguments' must be an object");
    }
    Object progressToken = null;
    JsonNode token = params.path("_meta").get("progressToken");
    if (token != null && !token.isNull() && !token.isTextual() && !token.isIntegralNumber()) {
      // MCP: a string or an integer. Anything else would be sent back in every progress notification.
      throw McpErrors.of(ErrorCode.INVALID_PARAMS, "tools/call: '_meta.progressToken' must be a string or an integer");
    }
    if (token != null && !token.isNull()) {
      progressToken = McpJson.OBJECT_MAPPER.convertValue(token, Object.class);
    }
    CallTarget target = resolve(ctx, name);
    if (target.durable()) {
      return durable.run(channel, ctx, call, target, args, progressToken);
    }
    try (Admission.Permit running = admission.directCall(ctx.caller().agent().tenantId())) {
      return direct.run(channel, session, ctx, call, target, args, progressToken);
    }
  }

  private CallTarget resolve(McpRequestContext ctx, String name) {
    var agent = ctx.caller().agent();
    VirtualServer selection = ctx.selection();
    Optional<ToolDefinition> http =
        httpTools.find(name).filter(t -> t.tenantId() == null || t.tenantId().equals(agent.tenantId()));
    McpItem mcp = http.isPresent() ? null : resolver.find(agent.tenantId(), McpCatalogEntry.TOOL, name).orElse(null);
    if ((http.isEmpty() && mcp == null) || (selection != null && !Patterns.anyMatches(selection.tools(), name))) {
      throw McpErrors.of(ErrorCode.UNKNOWN_TOOL, "Unknown tool: " + name);
    }
    var decision = AccessPolicy.tool(agent.permissions(), ctx.caller().scopes(), name);
    if (!decision.allowed()) {
      throw denied(ctx, name, decision);
    }
    // The tool's registry flag or the agent's own approval rules (patterns, destructive MCP tools).
    // Nobody can be asked here: an agent task or a team's workflow waits for the decision.
    boolean registryRequires = http.isPresent() && http.get().approvalRequired();
    if (ApprovalPolicy.requires(agent.permissions().approvals(), name, registryRequires, mcp == null ? null : mcp.approvalHints())) {
      throw denied(
          ctx, name,
          Decision.deny(
              AccessPolicy.NAME,
              ErrorCode.APPROVAL_REQUIRED.code(),
              "tool '" + name + "': its calls by this agent need an operator's approval ("
                  + (registryRequires ? "the tool's registry entry" : "the agent's approval rules")
                  + "), which an MCP call cannot wait for: call it from an agent task or a team's workflow"));
    }
    if (http.isPresent()) {
      return new CallTarget(name, null, http.get(), !"GET".equals(http.get().http().method()));
    }
    return new CallTarget(name, mcp, null, mcp.durable());
  }

  /**
   * A call its agent may not make, refused before anything of it runs: written to the audit log
   * ({@code tool.call}, deny, the code and the policy that decided) and counted among the policy
   * decisions, as a refused task submit and a refused model call are, so an agent trying tools over
   * MCP leaves a trace.
   */
  private McpError denied(McpRequestContext ctx, String name, Decision d) {
    var agent = ctx.caller().agent();
    metrics.policyDecision(d);
    audit.record(
        new AuditEvent(
            Instant.now(), agent.tenantId(), agent.id(), agent.id(), ctx.requestId(), null, "tool.call", name,
            "deny", d.code(), 0, d.policy(), null));
    return McpErrors.of(ErrorCode.ofCode(d.code()).orElse(ErrorCode.TOOL_NOT_ALLOWED), d.reason());
  }
}
