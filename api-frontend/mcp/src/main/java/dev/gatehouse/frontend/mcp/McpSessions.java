package dev.gatehouse.frontend.mcp;

import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpImplementation;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.admission.Shares;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.registry.agents.Agent;
import io.modelcontextprotocol.server.McpNotificationHandler;
import io.modelcontextprotocol.server.McpRequestHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * The agents' MCP sessions on this replica: the SDK's session factory (an {@code initialize}
 * opens a {@link GatewaySession} for the agent the request authenticated), the method handlers
 * every session serves, and the sessions' upkeep: closing them, expiring idle ones, and telling
 * them when their tool list changed.
 */
final class McpSessions implements McpStreamableServerSession.Factory, AutoCloseable {
  static final List<String> PROTOCOL_VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26");

  private final McpConnector connector;
  private final McpUpstreams upstreams;
  private final ToolListing tools;
  private final Duration agentRequestTimeout;
  /** How often a session checks that its upstream sessions' credentials are current. */
  private final Duration credentialsCheck;
  private final Map<String, GatewaySession> sessions = new ConcurrentHashMap<>();
  /** Places taken: the open sessions, and the initializes under way that took a place for one. */
  private final java.util.concurrent.atomic.AtomicInteger places = new java.util.concurrent.atomic.AtomicInteger();
  /** {@link #places} by agent id (an agent with none has no entry). */
  private final Shares perAgent = new Shares();
  /** {@link #places} by tenant id. */
  private final Shares perTenant = new Shares();
  private final Map<String, McpRequestHandler<?>> requestHandlers = new HashMap<>();
  private final Map<String, McpNotificationHandler> notificationHandlers = new HashMap<>();

  /** {@code agentRequestTimeout}: how long a request relayed to an agent (sampling, elicitation, roots) may wait. */
  /** The places of the upstream sessions agent sessions open, replica-wide and per tenant. */
  private final UpstreamPlaces upstreamPlaces;

  McpSessions(
      McpConnector connector, McpUpstreams upstreams, ToolListing tools, Duration agentRequestTimeout, Duration credentialsCheck,
      UpstreamPlaces upstreamPlaces) {
    this.upstreamPlaces = upstreamPlaces;
    this.connector = connector;
    this.upstreams = upstreams;
    this.tools = tools;
    this.agentRequestTimeout = agentRequestTimeout;
    this.credentialsCheck = credentialsCheck;
  }

  /** Serves {@code method} in every session opened from now on. */
  McpSessions onRequest(String method, McpRequestHandler<?> handler) {
    requestHandlers.put(method, handler);
    return this;
  }

  McpSessions onNotification(String method, McpNotificationHandler handler) {
    notificationHandlers.put(method, handler);
    return this;
  }

  @Override
  public McpStreamableServerSession.McpStreamableServerSessionInit startSession(McpSchema.InitializeRequest request) {
    McpRequestContext ctx = McpRequestContext.CURRENT.get();
    if (ctx == null) {
      throw new IllegalStateException("initialize without an authenticated request");
    }
    if (ctx.place() == null) {
      throw new IllegalStateException("initialize without a session's place");
    }
    String id = UUID.randomUUID().toString();
    McpStreamableServerSession sdk =
        new SdkSession(
            id,
            request.capabilities(),
            request.clientInfo(),
            agentRequestTimeout,
            requestHandlers,
            notificationHandlers,
            () -> Mono.fromRunnable(() -> close(id)),
            sessions::containsKey);
    var agent = ctx.caller().agent();
    GatewaySession session =
        new GatewaySession(
            id, agent.tenantId(), agent.id(), ctx.virtualServer(), request.capabilities(), sdk, connector, upstreams, credentialsCheck,
            upstreamPlaces);
    session.caller = ctx.caller();
    session.toolsFingerprint = tools.fingerprint(ctx.caller(), ctx.virtualServer());
    ctx.place().keep(); // the session holds the place from now on; close(id) gives it back
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
        sdk, Mono.just(new McpSchema.InitializeResult(version, caps, McpImplementation.GATEHOUSE, instructions)));
  }

  /**
   * The SDK's half of a session. The SDK's sweeper (every {@code mcp.sessionIdleTimeout}) drops a
   * session that no request reached through the SDK since its last sweep and that has no stream
   * open; a tools/call, which Gatehouse answers without the SDK, does not count there, so an agent
   * that only called tools lost its session. Here a session counts as having a stream open while
   * Gatehouse's half is open: {@link #expireIdle} decides idleness, and once it (or anything else)
   * has closed Gatehouse's half, the sweeper drops this one at its next pass.
   */
  static final class SdkSession extends McpStreamableServerSession {
    private final java.util.function.Predicate<String> open;

    SdkSession(
        String id,
        McpSchema.ClientCapabilities capabilities,
        McpSchema.Implementation clientInfo,
        Duration requestTimeout,
        Map<String, McpRequestHandler<?>> requestHandlers,
        Map<String, McpNotificationHandler> notificationHandlers,
        java.util.function.Supplier<Mono<Void>> onClose,
        java.util.function.Predicate<String> open) {
      super(id, capabilities, clientInfo, requestTimeout, requestHandlers, notificationHandlers, onClose, McpJson.PASS_THROUGH);
      this.open = open;
    }

    @Override
    public boolean hasOpenStream() {
      return super.hasOpenStream() || open.test(getId());
    }
  }

  Optional<GatewaySession> find(String id) {
    return Optional.ofNullable(id == null ? null : sessions.get(id));
  }

  /** Whether a session has a handler for notification {@code method} (the SDK logs a warning for each other one). */
  boolean handlesNotification(String method) {
    return notificationHandlers.containsKey(method);
  }

  int open() {
    return sessions.size();
  }

  /**
   * Takes a place for a session of {@code agentId} of {@code tenantId}: at most {@code max} on the
   * replica, {@code maxPerTenant} of one tenant's agents together (a tenant admin may make any
   * number of agents) and {@code maxPerAgent} of one agent, counting the sessions open and the
   * initializes under way: checked and taken in one step, so initializes arriving together cannot
   * pass the limits together. A refused place says which limit it met and holds nothing.
   */
  Place reserve(String tenantId, String agentId, int max, int maxPerTenant, int maxPerAgent) {
    if (!perAgent.take(agentId, maxPerAgent)) {
      return new Place(null, null, Admission.Limit.AGENT_SESSIONS);
    }
    if (!perTenant.take(tenantId, maxPerTenant)) {
      perAgent.giveBack(agentId);
      return new Place(null, null, Admission.Limit.TENANT_SESSIONS);
    }
    if (places.incrementAndGet() > max) {
      giveBack(tenantId, agentId);
      return new Place(null, null, Admission.Limit.SESSIONS);
    }
    return new Place(tenantId, agentId, null);
  }

  private void giveBack(String tenantId, String agentId) {
    perAgent.giveBack(agentId);
    perTenant.giveBack(tenantId);
    places.decrementAndGet();
  }

  /**
   * A session's place, taken by an {@code initialize} before the SDK starts the session: the
   * session keeps it ({@link #keep}) and gives it back when it closes; {@link #close} gives back
   * one that no session kept.
   */
  final class Place implements AutoCloseable {
    private final String tenantId;
    private final String agentId;
    private final Admission.Limit refused;
    private final java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();

    private Place(String tenantId, String agentId, Admission.Limit refused) {
      this.tenantId = tenantId;
      this.agentId = agentId;
      this.refused = refused;
      if (refused != null) {
        settled.set(true);
      }
    }

    /** The limit that refused this place, or null when it was taken. */
    Admission.Limit refused() {
      return refused;
    }

    void keep() {
      settled.set(true);
    }

    @Override
    public void close() {
      if (settled.compareAndSet(false, true)) {
        giveBack(tenantId, agentId);
      }
    }
  }

  void close(String id) {
    GatewaySession s = sessions.remove(id);
    if (s != null) {
      giveBack(s.tenantId, s.agentId);
      s.close();
    }
  }

  private volatile java.util.function.Consumer<String> onEnded = id -> {};

  /** What to do when a session is ended on purpose ({@link #end}): stop its calls in flight. */
  McpSessions onEnded(java.util.function.Consumer<String> then) {
    this.onEnded = then;
    return this;
  }

  /**
   * Ends session {@code id} on purpose (the agent's DELETE, or its agent deleted): closed as
   * {@link #close} does, and its calls in flight stopped, their answers having nowhere to go. A
   * session closed for idleness has none ({@link #expireIdle} keeps a session with a call in flight).
   */
  void end(String id) {
    close(id);
    onEnded.accept(id);
  }

  /**
   * Closes the sessions of agents that no longer exist ({@code agents} answers which of the given
   * ids still do): a deleted agent's key no longer authenticates, but its sessions held their
   * places, and their GET streams their connections, until they went idle. Returns how many closed.
   */
  int closeOrphaned(Function<java.util.Set<String>, java.util.Set<String>> agents) {
    java.util.Set<String> held = new java.util.HashSet<>();
    for (GatewaySession s : sessions.values()) {
      held.add(s.agentId);
    }
    if (held.isEmpty()) {
      return 0;
    }
    java.util.Set<String> existing = agents.apply(held);
    int closed = 0;
    for (GatewaySession s : List.copyOf(sessions.values())) {
      // Only an agent that was looked up and is gone: a session opened since, by an agent not
      // looked up, was closed at once (every 2 s this runs, a new session's chance to be it).
      if (held.contains(s.agentId) && !existing.contains(s.agentId)) {
        end(s.id);
        s.endStreams();
        closed++;
      }
    }
    return closed;
  }

  /**
   * Closes sessions idle for longer than {@code idle}. An open GET stream counts as activity, and so
   * does a tools/call being answered: a call may wait longer than the idle timeout (a slow tool, a
   * durable call's task), and its agent is waiting on the session meanwhile.
   */
  int expireIdle(Duration idle) {
    long now = System.nanoTime();
    int closed = 0;
    for (GatewaySession s : List.copyOf(sessions.values())) {
      if (s.hasListeningStream() || s.hasCallsInFlight()) {
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
  int notifyToolListChanges(Function<String, Optional<Agent>> agents) {
    int told = 0;
    Map<String, Optional<Agent>> fresh = new HashMap<>();
    Map<String, String> prints = new HashMap<>();
    for (GatewaySession s : List.copyOf(sessions.values())) {
      AgentCaller last = s.caller;
      if (last == null || !s.hasListeningStream()) {
        continue; // nowhere to send a notification; the next tools/list is fresh anyway
      }
      Optional<Agent> agent = fresh.computeIfAbsent(s.agentId, agents);
      if (agent.isEmpty()) {
        continue;
      }
      AgentCaller now = new AgentCaller(agent.get(), last.scopes(), last.credential(), last.expiresAt());
      String fp =
          prints.computeIfAbsent(
              s.agentId + "\n" + s.virtualServer + "\n" + last.scopes(), k -> tools.fingerprint(now, s.virtualServer));
      if (!fp.equals(s.toolsFingerprint)) {
        s.toolsFingerprint = fp;
        s.notifyAgent(McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED, Map.of());
        told++;
      }
    }
    return told;
  }

  @Override
  public void close() {
    for (String id : List.copyOf(sessions.keySet())) {
      close(id);
    }
  }
}
