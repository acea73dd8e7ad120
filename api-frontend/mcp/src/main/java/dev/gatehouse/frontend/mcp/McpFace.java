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
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.activities.tool.ToolInvoker;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpNotificationHandler;
import io.modelcontextprotocol.server.McpRequestHandler;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.temporal.client.WorkflowClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Gatehouse's MCP server: the session factory and the method handlers behind the SDK's Streamable
 * HTTP transport. It is a governed proxy, not an SDK {@code McpServer}: every list is computed per
 * agent (HTTP tools plus the discovered upstream tools, named {@code <prefix>.<name>}, filtered by
 * the agent's permissions and the virtual server), every {@code tools/call} is answered by
 * {@link McpToolCallHandler} (which McpHttpFilter calls before the SDK), and everything else
 * (resources, prompts, completion, logging) is routed to the upstream server it belongs to,
 * through the agent session's own upstream session.
 */
public final class McpFace implements McpStreamableServerSession.Factory, AutoCloseable {
  static final List<String> PROTOCOL_VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26");
  private static final McpSchema.Implementation SERVER_INFO = new McpSchema.Implementation("gatehouse", "0.1.0");

  private final ToolDao toolDao;
  private final VirtualServerDao virtualServers;
  private final McpToolResolver resolver;
  private final McpUpstreams upstreams;
  private final McpConnector connector;
  private final McpToolCallHandler toolCalls;
  private final Map<String, GatewaySession> sessions = new ConcurrentHashMap<>();
  private final Map<String, McpRequestHandler<?>> requestHandlers = new HashMap<>();
  private final Map<String, McpNotificationHandler> notificationHandlers = new HashMap<>();

  public McpFace(
      Jdbi jdbi,
      ToolCatalog httpTools,
      McpToolResolver resolver,
      McpUpstreams upstreams,
      McpConnector connector,
      ToolInvoker invoker,
      DurableCalls durable,
      Duration maxDurableWait) {
    this.toolDao = jdbi.onDemand(ToolDao.class);
    this.virtualServers = jdbi.onDemand(VirtualServerDao.class);
    this.resolver = resolver;
    this.upstreams = upstreams;
    this.connector = connector;
    this.toolCalls =
        new McpToolCallHandler(httpTools, resolver, upstreams, invoker, durable, maxDurableWait);
    requestHandlers.put(McpSchema.METHOD_PING, (ex, p) -> Mono.just(Map.of()));
    requestHandlers.put(McpSchema.METHOD_TOOLS_LIST, blocking(this::listTools));
    // tools/call never reaches the SDK: McpHttpFilter hands it to toolCalls.
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
    notificationHandlers.put("notifications/cancelled", toolCalls::cancelled);
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

  /** Where McpHttpFilter sends {@code tools/call}. */
  McpToolCallHandler toolCalls() {
    return toolCalls;
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
    AgentChannel channel = AgentChannel.of(ex);
    if (session != null) {
      session.enter(server.name(), channel);
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
        session.leave(server.name(), channel);
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
