package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpToolResolver.McpItem;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.activities.tool.CallContext;
import dev.gatehouse.activities.tool.ToolCallException;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.activities.tool.ToolInvoker;
import dev.gatehouse.frontend.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.errors.ApiException;
import dev.gatehouse.frontend.tasks.TaskService;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpNotificationHandler;
import io.modelcontextprotocol.server.McpRequestHandler;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TimeoutFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * Gatehouse's MCP server: the session factory and the method handlers behind the SDK's Streamable
 * HTTP transport. It is a governed proxy, not an SDK {@code McpServer}: every list is computed per
 * agent (HTTP tools plus the discovered upstream tools, named {@code <prefix>.<name>}, filtered by
 * the agent's permissions and the virtual server), every call goes through {@link ToolInvoker}
 * (read-only tools directly, the others as a durable {@code ToolCallWorkflow}), and everything
 * else (resources, prompts, completion, logging) is routed to the upstream server it belongs to,
 * through the agent session's own upstream session.
 */
public final class McpFace implements McpStreamableServerSession.Factory, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(McpFace.class);
  static final List<String> PROTOCOL_VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26");
  private static final McpSchema.Implementation SERVER_INFO = new McpSchema.Implementation("gatehouse", "0.1.0");

  private final ToolCatalog httpTools;
  private final ToolDao toolDao;
  private final VirtualServerDao virtualServers;
  private final McpToolResolver resolver;
  private final McpUpstreams upstreams;
  private final McpConnector connector;
  private final ToolInvoker invoker;
  private final TaskService tasks;
  private final WorkflowClient workflows;
  private final Duration maxDurableWait;
  /** Kept, so each tool's compiled schema is reused (the policy caches compiled schemas). */
  private final dev.gatehouse.policies.tools.ArgumentSchemaPolicy schemaPolicy =
      new dev.gatehouse.policies.tools.ArgumentSchemaPolicy();
  private final Map<String, GatewaySession> sessions = new ConcurrentHashMap<>();
  private final Map<String, Runnable> inFlight = new ConcurrentHashMap<>();
  private final Map<String, McpRequestHandler<?>> requestHandlers = new HashMap<>();
  private final Map<String, McpNotificationHandler> notificationHandlers = new HashMap<>();

  public McpFace(
      Jdbi jdbi,
      ToolCatalog httpTools,
      McpToolResolver resolver,
      McpUpstreams upstreams,
      McpConnector connector,
      ToolInvoker invoker,
      TaskService tasks,
      WorkflowClient workflows,
      Duration maxDurableWait) {
    this.httpTools = httpTools;
    this.toolDao = jdbi.onDemand(ToolDao.class);
    this.virtualServers = jdbi.onDemand(VirtualServerDao.class);
    this.resolver = resolver;
    this.upstreams = upstreams;
    this.connector = connector;
    this.invoker = invoker;
    this.tasks = tasks;
    this.workflows = workflows;
    this.maxDurableWait = maxDurableWait;
    requestHandlers.put(McpSchema.METHOD_PING, (ex, p) -> Mono.just(Map.of()));
    requestHandlers.put(McpSchema.METHOD_TOOLS_LIST, blocking(this::listTools));
    requestHandlers.put(McpSchema.METHOD_TOOLS_CALL, this::callTool);
    requestHandlers.put(McpSchema.METHOD_RESOURCES_LIST, blocking((ex, p) -> listItems(ex, McpCatalogEntry.RESOURCE, "resources")));
    requestHandlers.put(
        McpSchema.METHOD_RESOURCES_TEMPLATES_LIST,
        blocking((ex, p) -> listItems(ex, McpCatalogEntry.RESOURCE_TEMPLATE, "resourceTemplates")));
    requestHandlers.put(McpSchema.METHOD_RESOURCES_READ, blocking(this::readResource));
    requestHandlers.put(McpSchema.METHOD_RESOURCES_SUBSCRIBE, blocking((ex, p) -> subscribe(ex, p, true)));
    requestHandlers.put(McpSchema.METHOD_RESOURCES_UNSUBSCRIBE, blocking((ex, p) -> subscribe(ex, p, false)));
    requestHandlers.put(McpSchema.METHOD_PROMPT_LIST, blocking((ex, p) -> listItems(ex, McpCatalogEntry.PROMPT, "prompts")));
    requestHandlers.put(McpSchema.METHOD_PROMPT_GET, blocking(this::getPrompt));
    requestHandlers.put(McpSchema.METHOD_COMPLETION_COMPLETE, blocking(this::complete));
    requestHandlers.put(McpSchema.METHOD_LOGGING_SET_LEVEL, blocking(this::setLevel));
    notificationHandlers.put(McpSchema.METHOD_NOTIFICATION_INITIALIZED, (ex, p) -> Mono.empty());
    notificationHandlers.put("notifications/cancelled", this::cancelled);
    notificationHandlers.put(McpSchema.METHOD_NOTIFICATION_ROOTS_LIST_CHANGED, (ex, p) -> Mono.empty());
  }

  // ---------------------------------------------------------------- sessions

  @Override
  public McpStreamableServerSession.McpStreamableServerSessionInit startSession(McpSchema.InitializeRequest request) {
    McpRequestContext ctx = McpRequestContext.CURRENT.get();
    if (ctx == null) {
      throw new IllegalStateException("initialize without an authenticated request");
    }
    String id = UUID.randomUUID().toString();
    McpStreamableServerSession sdk =
        new McpStreamableServerSession(
            id,
            request.capabilities(),
            request.clientInfo(),
            Duration.ofMinutes(10),
            requestHandlers,
            notificationHandlers,
            () -> Mono.fromRunnable(() -> close(id)),
            McpJson.PASS_THROUGH);
    var agent = ctx.caller().agent();
    GatewaySession session =
        new GatewaySession(
            id, agent.tenantId(), agent.id(), ctx.virtualServer(), request.capabilities(), sdk, connector, upstreams);
    session.caller = ctx.caller();
    session.toolsFingerprint = fingerprint(visibleTools(ctx.caller(), ctx.virtualServer()));
    sessions.put(id, session);
    String version =
        PROTOCOL_VERSIONS.contains(request.protocolVersion()) ? request.protocolVersion() : PROTOCOL_VERSIONS.get(0);
    McpSchema.ServerCapabilities caps =
        McpSchema.ServerCapabilities.builder()
            .tools(true)
            .resources(true, true)
            .prompts(true)
            .logging()
            .completions()
            .build();
    String instructions =
        "Gatehouse: the tools, resources and prompts this agent may use, from every registered server"
            + (ctx.virtualServer() == null ? "" : " (virtual server " + ctx.virtualServer() + ")")
            + ". Tool names are <server prefix>.<tool>.";
    return new McpStreamableServerSession.McpStreamableServerSessionInit(
        sdk, Mono.just(new McpSchema.InitializeResult(version, caps, SERVER_INFO, instructions)));
  }

  Optional<GatewaySession> session(String id) {
    return Optional.ofNullable(sessions.get(id));
  }

  int openSessions() {
    return sessions.size();
  }

  void close(String id) {
    GatewaySession s = sessions.remove(id);
    if (s != null) {
      s.close();
    }
  }

  /** Closes sessions idle for longer than {@code idle} (an open GET stream counts as activity). */
  int expireIdle(Duration idle) {
    long now = System.nanoTime();
    int closed = 0;
    for (GatewaySession s : List.copyOf(sessions.values())) {
      if (s.hasListeningStream()) {
        s.lastSeenNanos = now;
      } else if (now - s.lastSeenNanos > idle.toNanos()) {
        close(s.id);
        closed++;
      }
    }
    return closed;
  }

  /**
   * Sends {@code notifications/tools/list_changed} to every session whose tool list is no longer
   * what it was (a server's tools or the agent's permissions changed). {@code agents} looks up an
   * agent as it is now. Returns how many sessions were told.
   */
  int notifyToolListChanges(java.util.function.Function<String, Optional<dev.gatehouse.registry.agents.Agent>> agents) {
    int told = 0;
    Map<String, Optional<dev.gatehouse.registry.agents.Agent>> fresh = new HashMap<>();
    Map<String, String> prints = new HashMap<>();
    for (GatewaySession s : List.copyOf(sessions.values())) {
      AgentCaller last = s.caller;
      if (last == null || !s.hasListeningStream()) {
        continue; // nowhere to send a notification; the next tools/list is fresh anyway
      }
      Optional<dev.gatehouse.registry.agents.Agent> agent = fresh.computeIfAbsent(s.agentId, agents);
      if (agent.isEmpty()) {
        continue;
      }
      AgentCaller now = new AgentCaller(agent.get(), last.scopes(), last.credential(), last.expiresAt());
      String fp =
          prints.computeIfAbsent(
              s.agentId + "\n" + s.virtualServer + "\n" + last.scopes(),
              k -> fingerprint(visibleTools(now, s.virtualServer)));
      if (!fp.equals(s.toolsFingerprint)) {
        s.toolsFingerprint = fp;
        s.notifyAgent(McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED, Map.of());
        told++;
      }
    }
    return told;
  }

  private static String fingerprint(List<ObjectNode> tools) {
    return Integer.toHexString(tools.hashCode());
  }

  @Override
  public void close() {
    for (String id : List.copyOf(sessions.keySet())) {
      close(id);
    }
  }

  // ---------------------------------------------------------------- tools

  /** The tools an agent sees on this endpoint, in MCP form, named as agents call them. */
  List<ObjectNode> visibleTools(AgentCaller caller, String virtualServer) {
    var agent = caller.agent();
    VirtualServer selection = virtualServer == null ? null : virtualServers.find(virtualServer).orElse(null);
    List<ObjectNode> out = new ArrayList<>();
    for (ToolDefinition t : toolDao.page(agent.tenantId(), null, 10_000)) {
      if (t.tenantId() != null && !t.tenantId().equals(agent.tenantId())) {
        continue;
      }
      if (!visible(caller, selection, t.name())) {
        continue;
      }
      ObjectNode tool = JsonNodeFactory.instance.objectNode();
      tool.put("name", t.name());
      tool.put(
          "description",
          t.description() != null && !t.description().isBlank() ? t.description() : "HTTP tool " + t.name());
      // MCP requires an object schema: a tool registered without one takes any object.
      boolean hasSchema = t.inputSchema() != null && t.inputSchema().isObject();
      tool.set("inputSchema", hasSchema ? t.inputSchema() : JsonNodeFactory.instance.objectNode().put("type", "object"));
      if ("GET".equals(t.http().method())) {
        tool.putObject("annotations").put("readOnlyHint", true);
      }
      out.add(tool);
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    out.forEach(t -> seen.add(t.get("name").asText()));
    for (McpItem item : resolver.view(agent.tenantId()).items(McpCatalogEntry.TOOL)) {
      if (!seen.add(item.gatewayName()) || !visible(caller, selection, item.gatewayName())) {
        continue;
      }
      ObjectNode tool = item.body().deepCopy();
      tool.put("name", item.gatewayName());
      out.add(tool);
    }
    return out;
  }

  private static boolean visible(AgentCaller caller, VirtualServer selection, String name) {
    if (selection != null && !Patterns.anyMatches(selection.tools(), name)) {
      return false;
    }
    return AccessPolicy.tool(caller.agent().permissions(), caller.scopes(), name).allowed();
  }

  private Object listTools(McpAsyncServerExchange ex, Object params) {
    McpRequestContext ctx = context(ex);
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ArrayNode tools = result.putArray("tools");
    visibleTools(ctx.caller(), ctx.virtualServer()).forEach(tools::add);
    return result;
  }

  private Mono<Object> callTool(McpAsyncServerExchange ex, Object rawParams) {
    McpRequestContext ctx = context(ex);
    JsonNode params = McpJson.tree(rawParams);
    String name = params.path("name").asText("");
    JsonNode args = params.has("arguments") && !params.get("arguments").isNull()
        ? params.get("arguments")
        : JsonNodeFactory.instance.objectNode();
    if (name.isEmpty()) {
      return Mono.error(McpErrors.invalidParams("invalid_request", "tools/call needs a tool 'name'"));
    }
    if (!args.isObject()) {
      return Mono.error(McpErrors.invalidParams("invalid_arguments", "'arguments' must be an object"));
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    JsonNode progressToken = params.path("_meta").get("progressToken");
    if (progressToken != null && !progressToken.isNull()) {
      meta.put("progressToken", McpJson.OBJECT_MAPPER.convertValue(progressToken, Object.class));
    }
    Sinks.One<Object> done = Sinks.one();
    Mono<Object> work =
        Mono.fromCallable(() -> resolveCall(ctx, name))
            .subscribeOn(Schedulers.boundedElastic())
            .flatMap(
                target -> {
                  String key = inFlightKey(ex.sessionId(), ctx.jsonRpcId());
                  Mono<Object> run = target.durable()
                      ? Mono.fromCallable(() -> durableCall(ex, ctx, key, target, args, meta.get("progressToken")))
                      : Mono.fromCallable(() -> directCall(ex, ctx, target, args, meta));
                  return run.subscribeOn(Schedulers.boundedElastic());
                });
    String key = inFlightKey(ex.sessionId(), ctx.jsonRpcId());
    // notifications/cancelled for this request stops waiting and answers at once (the agent
    // ignores the answer, as the spec says); a durable call's workflow is cancelled as well.
    return Mono.<Object>create(
        sink -> {
          Disposable d = work.doFinally(signal -> remove(key)).subscribe(sink::success, sink::error, sink::success);
          if (key != null) {
            inFlight.put(
                key,
                () -> {
                  d.dispose();
                  sink.error(McpErrors.error(-32800, "cancelled", "Request cancelled"));
                });
          }
        });
  }

  /** What a tools/call names: an HTTP tool or an MCP tool, authorized for this agent here. */
  private record CallTarget(String name, McpItem mcp, ToolDefinition http, boolean durable) {}

  private CallTarget resolveCall(McpRequestContext ctx, String name) {
    var agent = ctx.caller().agent();
    VirtualServer selection = ctx.virtualServer() == null ? null : virtualServers.find(ctx.virtualServer()).orElse(null);
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

  private Object directCall(
      McpAsyncServerExchange ex, McpRequestContext ctx, CallTarget target, JsonNode args, Map<String, Object> meta) {
    GatewaySession session = sessions.get(ex.sessionId());
    var agent = ctx.caller().agent();
    Caller caller = new Caller(agent.tenantId(), agent.id(), ctx.caller().scopes());
    String server = target.mcp() == null ? null : target.mcp().server().name();
    if (session != null && server != null) {
      session.enter(server, ex);
    }
    // A stdio server's client is shared by all sessions: give the call a token of its own and
    // map its progress back to this agent's token.
    Map<String, Object> callMeta = meta;
    String sharedToken = null;
    Object agentToken = meta.get("progressToken");
    if (agentToken != null && target.mcp() != null && McpServerDefinition.STDIO.equals(target.mcp().server().transport())) {
      sharedToken = "gh-" + UUID.randomUUID();
      callMeta = new LinkedHashMap<>(meta);
      callMeta.put("progressToken", sharedToken);
      upstreams.onProgress(
          sharedToken,
          (p, total, message) ->
              ex.progressNotification(new McpSchema.ProgressNotification(agentToken, p, total, message))
                  .onErrorResume(e -> Mono.empty())
                  .subscribe());
    }
    try {
      ToolCallResult result =
          invoker.invoke(
              target.name(),
              args,
              caller,
              new CallContext(null, null, 1),
              session == null ? null : session.route(ex, callMeta));
      return asCallToolResult(target, result);
    } catch (ToolCallException e) {
      throw callError(e.type(), e.getMessage());
    } finally {
      if (sharedToken != null) {
        upstreams.onProgress(sharedToken, null);
      }
      if (session != null && server != null) {
        session.leave(server, ex);
      }
    }
  }

  private Object durableCall(
      McpAsyncServerExchange ex,
      McpRequestContext ctx,
      String inFlightKey,
      CallTarget target,
      JsonNode args,
      Object progressToken) {
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
    WorkflowStub stub = workflows.newUntypedWorkflowStub(submitted.id());
    if (inFlightKey != null) {
      durableTasks.put(inFlightKey, submitted.id());
    }
    try {
      ToolCallResult result = awaitResult(stub, submitted.id(), ex, progressToken);
      Object out = asCallToolResult(target, result);
      if (out instanceof ObjectNode node) {
        node.putObject("_meta").put("dev.gatehouse/task-id", submitted.id());
      }
      return out;
    } catch (WorkflowFailedException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ActivityFailure af && af.getCause() instanceof ApplicationFailure app) {
        throw callError(app.getType(), app.getOriginalMessage() + " (task " + submitted.id() + ")");
      }
      if (cause instanceof CanceledFailure) {
        throw McpErrors.error(McpSchema.ErrorCodes.INTERNAL_ERROR, "canceled", "the call was cancelled (task " + submitted.id() + ")");
      }
      if (cause instanceof TimeoutFailure) {
        throw McpErrors.upstream("timed_out", "the call timed out (task " + submitted.id() + ")");
      }
      throw McpErrors.upstream("upstream_error", "the call failed (task " + submitted.id() + ")");
    } catch (TimeoutException e) {
      throw McpErrors.upstream(
          "still_running", "the call is still running as task " + submitted.id() + "; see /v1/tasks/" + submitted.id());
    } finally {
      if (inFlightKey != null) {
        durableTasks.remove(inFlightKey);
      }
    }
  }

  private final Map<String, String> durableTasks = new ConcurrentHashMap<>();

  /**
   * Waits for a durable call's result. When the agent asked for progress, the tool's progress
   * (the activity's heartbeat details) is read while waiting and relayed as it changes.
   */
  private ToolCallResult awaitResult(WorkflowStub stub, String taskId, McpAsyncServerExchange ex, Object progressToken)
      throws TimeoutException {
    long deadline = System.nanoTime() + maxDurableWait.toNanos();
    if (progressToken == null) {
      return stub.getResult(maxDurableWait.toMillis(), TimeUnit.MILLISECONDS, ToolCallResult.class);
    }
    ToolProgress last = null;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException();
      }
      try {
        ToolCallResult result =
            stub.getResult(Math.min(TimeUnit.NANOSECONDS.toMillis(left), 250), TimeUnit.MILLISECONDS, ToolCallResult.class);
        // What the upstream reported after the last value seen live, in order, before the answer.
        List<ToolProgress> all = result.progress() == null ? List.of() : result.progress();
        int from = last == null ? 0 : all.lastIndexOf(last) + 1;
        for (ToolProgress p : all.subList(Math.max(0, from), all.size())) {
          relay(ex, progressToken, p);
        }
        return result;
      } catch (TimeoutException stillRunning) {
        ToolProgress now = progressOf(taskId);
        if (now != null && !now.equals(last)) {
          last = now;
          relay(ex, progressToken, now);
        }
      }
    }
  }

  private static void relay(McpAsyncServerExchange ex, Object token, ToolProgress p) {
    ex.progressNotification(new McpSchema.ProgressNotification(token, p.progress(), p.total(), p.message()))
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

  static ToolCallPolicy policyOf(McpServerDefinition server) {
    var retry = server.retryOrDefault();
    return new ToolCallPolicy(
        server.timeoutOrDefault().toMillis(),
        retry.maxAttempts(),
        retry.initialInterval().toMillis(),
        retry.backoff(),
        retry.maxInterval().toMillis());
  }

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
      case ToolFailureTypes.CREDENTIALS_UNAVAILABLE -> McpErrors.upstream("credentials_unavailable", message);
      case ToolFailureTypes.UPSTREAM_CLIENT_ERROR -> McpErrors.upstream("upstream_rejected", message);
      case ToolFailureTypes.RESPONSE_TOO_LARGE -> McpErrors.upstream("response_too_large", message);
      default -> McpErrors.upstream("upstream_error", message);
    };
  }

  private Mono<Void> cancelled(McpAsyncServerExchange ex, Object params) {
    JsonNode p = McpJson.tree(params);
    JsonNode requestId = p.get("requestId");
    if (requestId == null) {
      return Mono.empty();
    }
    Object id = McpJson.OBJECT_MAPPER.convertValue(requestId, Object.class);
    String key = inFlightKey(ex.sessionId(), id);
    String task = durableTasks.remove(key);
    Runnable cancel = inFlight.remove(key);
    if (cancel != null) {
      cancel.run();
    }
    if (task != null) {
      try {
        workflows.newUntypedWorkflowStub(task).cancel();
      } catch (RuntimeException e) {
        LOG.debug("could not cancel task {}: {}", task, e.toString());
      }
    }
    return Mono.empty();
  }

  private void remove(String key) {
    if (key != null) {
      inFlight.remove(key);
    }
  }

  private static String inFlightKey(String sessionId, Object jsonRpcId) {
    return jsonRpcId == null ? null : sessionId + "\n" + jsonRpcId;
  }

  // ---------------------------------------------------------------- resources, prompts, completion, logging

  private Object listItems(McpAsyncServerExchange ex, String kind, String field) {
    McpRequestContext ctx = context(ex);
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ArrayNode items = result.putArray(field);
    if (ctx.virtualServer() != null) {
      return result; // a virtual server is a selection of tools only
    }
    for (McpItem item : resolver.view(ctx.caller().agent().tenantId()).items(kind)) {
      if (!AccessPolicy.tool(ctx.caller().agent().permissions(), ctx.caller().scopes(), item.gatewayName()).allowed()) {
        continue;
      }
      ObjectNode body = item.body().deepCopy();
      if (kind.equals(McpCatalogEntry.PROMPT)) {
        body.put("name", item.gatewayName());
      }
      items.add(body);
    }
    return result;
  }

  private McpItem resourceFor(McpRequestContext ctx, String uri) {
    McpItem item =
        ctx.virtualServer() == null ? resolver.resource(ctx.caller().agent().tenantId(), uri).orElse(null) : null;
    if (item == null
        || !AccessPolicy.tool(ctx.caller().agent().permissions(), ctx.caller().scopes(), item.server().qualify(uri)).allowed()) {
      throw McpErrors.resourceNotFound(uri);
    }
    return item;
  }

  private Object readResource(McpAsyncServerExchange ex, Object params) {
    McpRequestContext ctx = context(ex);
    McpSchema.ReadResourceRequest req = McpJson.convert(params, McpSchema.ReadResourceRequest.class);
    if (req.uri() == null) {
      throw McpErrors.invalidParams("invalid_request", "resources/read needs a 'uri'");
    }
    McpItem item = resourceFor(ctx, req.uri());
    return upstreamCall(ex, item.server(), c -> c.readResource(req));
  }

  private Object subscribe(McpAsyncServerExchange ex, Object params, boolean on) {
    McpRequestContext ctx = context(ex);
    String uri = McpJson.tree(params).path("uri").asText(null);
    if (uri == null) {
      throw McpErrors.invalidParams("invalid_request", "a 'uri' is needed");
    }
    McpItem item = resourceFor(ctx, uri);
    upstreamCall(
        ex,
        item.server(),
        c -> (on ? c.subscribeResource(new McpSchema.SubscribeRequest(uri)) : c.unsubscribeResource(new McpSchema.UnsubscribeRequest(uri)))
            .thenReturn(Map.of()));
    return Map.of();
  }

  private Object getPrompt(McpAsyncServerExchange ex, Object params) {
    McpRequestContext ctx = context(ex);
    JsonNode p = McpJson.tree(params);
    String name = p.path("name").asText("");
    McpItem item = promptFor(ctx, name);
    ObjectNode upstreamParams = ((ObjectNode) p).deepCopy();
    upstreamParams.put("name", item.upstreamName());
    McpSchema.GetPromptRequest req = McpJson.convert(upstreamParams, McpSchema.GetPromptRequest.class);
    return upstreamCall(ex, item.server(), c -> c.getPrompt(req));
  }

  private McpItem promptFor(McpRequestContext ctx, String name) {
    McpItem item =
        ctx.virtualServer() == null ? resolver.find(ctx.caller().agent().tenantId(), McpCatalogEntry.PROMPT, name).orElse(null) : null;
    if (item == null || !AccessPolicy.tool(ctx.caller().agent().permissions(), ctx.caller().scopes(), name).allowed()) {
      throw McpErrors.invalidParams("unknown_prompt", "Unknown prompt: " + name);
    }
    return item;
  }

  private Object complete(McpAsyncServerExchange ex, Object params) {
    McpRequestContext ctx = context(ex);
    ObjectNode p = ((ObjectNode) McpJson.tree(params)).deepCopy();
    JsonNode ref = p.path("ref");
    McpItem item;
    if ("ref/prompt".equals(ref.path("type").asText())) {
      item = promptFor(ctx, ref.path("name").asText(""));
      ((ObjectNode) p.get("ref")).put("name", item.upstreamName());
    } else if ("ref/resource".equals(ref.path("type").asText())) {
      String uri = ref.path("uri").asText("");
      item =
          ctx.virtualServer() == null
              ? resolver.view(ctx.caller().agent().tenantId()).items(McpCatalogEntry.RESOURCE_TEMPLATE).stream()
                  .filter(i -> i.upstreamName().equals(uri))
                  .findFirst()
                  .orElseGet(() -> resourceFor(ctx, uri))
              : resourceFor(ctx, uri);
    } else {
      throw McpErrors.invalidParams("invalid_request", "completion/complete needs a ref of type ref/prompt or ref/resource");
    }
    McpSchema.CompleteRequest req = McpJson.convert(p, McpSchema.CompleteRequest.class);
    return upstreamCall(ex, item.server(), c -> c.completeCompletion(req));
  }

  private Object setLevel(McpAsyncServerExchange ex, Object params) {
    McpSchema.SetLevelRequest req = McpJson.convert(params, McpSchema.SetLevelRequest.class);
    if (req.level() == null) {
      throw McpErrors.invalidParams("invalid_request", "logging/setLevel needs a valid 'level'");
    }
    GatewaySession s = sessions.get(ex.sessionId());
    if (s != null) {
      s.setLogLevel(req.level());
    }
    return Map.of();
  }

  private Object upstreamCall(
      McpAsyncServerExchange ex, McpServerDefinition server, java.util.function.Function<McpAsyncClient, Mono<?>> call) {
    GatewaySession session = sessions.get(ex.sessionId());
    McpAsyncClient client;
    try {
      client = session == null ? upstreams.client(server) : session.upstream(server);
    } catch (RuntimeException e) {
      throw McpErrors.upstream("upstream_unavailable", "MCP server " + server.name() + " is not reachable");
    }
    if (session != null) {
      session.enter(server.name(), ex);
    }
    try {
      Object answer = call.apply(client).block(server.timeoutOrDefault());
      return answer == null ? null : connector.redact(client, McpJson.tree(answer));
    } catch (McpError e) {
      throw e; // the upstream's own JSON-RPC error, passed through
    } catch (RuntimeException e) {
      throw McpErrors.upstream("upstream_error", "MCP server " + server.name() + " failed: " + McpUpstreams.describe(e));
    } finally {
      if (session != null) {
        session.leave(server.name(), ex);
      }
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** The SDK's context extractor: hands the filter's findings to the handlers. */
  public static io.modelcontextprotocol.common.McpTransportContext transportContext(
      jakarta.servlet.http.HttpServletRequest request) {
    Object ctx = request.getAttribute(McpRequestContext.ATTRIBUTE);
    return ctx instanceof McpRequestContext c
        ? c.toTransportContext()
        : io.modelcontextprotocol.common.McpTransportContext.EMPTY;
  }

  private static McpRequestContext context(McpAsyncServerExchange ex) {
    return McpRequestContext.of(ex.transportContext());
  }

  private interface Blocking {
    Object handle(McpAsyncServerExchange ex, Object params);
  }

  /** Runs a handler that reads the database or waits on an upstream off the transport's threads. */
  private static McpRequestHandler<Object> blocking(Blocking handler) {
    return (ex, params) -> Mono.fromCallable(() -> handler.handle(ex, params)).subscribeOn(Schedulers.boundedElastic());
  }
}
