package dev.gatehouse.frontend.mcp;

import dev.gatehouse.frontend.core.errors.ErrorCode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpThreads;
import dev.gatehouse.activities.mcp.McpRoute;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.activities.mcp.UpstreamHandlers;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * One agent's MCP session with Gatehouse ({@code Mcp-Session-Id}) and the upstream sessions it
 * opened, one per upstream server it used, created on first use. Whatever an upstream sends on
 * its own is relayed here: progress and log messages and requests to the client (sampling,
 * elicitation) go to the agent's request in flight on that server when there is one, else to the
 * agent's GET stream; roots are asked of the agent once, when its first upstream session starts,
 * and given to its upstream sessions when it answers.
 */
final class GatewaySession {
  private static final Logger LOG = LoggerFactory.getLogger(GatewaySession.class);
  private static final TypeRef<McpSchema.CreateMessageResult> SAMPLING = new TypeRef<>() {};
  private static final TypeRef<McpSchema.ElicitResult> ELICIT = new TypeRef<>() {};
  private static final TypeRef<McpSchema.ListRootsResult> ROOTS = new TypeRef<>() {};
  /** The most of an agent's roots given to its upstream sessions. */
  static final int MAX_ROOTS = 100;

  final String id;
  final String tenantId;
  final String agentId;
  final String virtualServer;
  final McpSchema.ClientCapabilities capabilities;
  private final McpStreamableServerSession sdk;
  private final McpConnector connector;
  private final McpUpstreams upstreams;
  /** This session's upstream sessions by server name, each with the record it was opened from. */
  private final Map<String, Upstream> clients = new ConcurrentHashMap<>();
  /** Upstream sessions replaced by a change of the registry, kept for their calls in flight ({@link #retire}). */
  private final Map<String, McpAsyncClient> retired = new ConcurrentHashMap<>();
  /** Where each upstream session this session opens takes a place ({@link UpstreamPlaces}); given back at {@link #close}. */
  private final UpstreamPlaces upstreamPlaces;
  private final long credentialsCheckNanos;
  private final Map<String, Deque<AgentChannel>> inFlight = new ConcurrentHashMap<>();
  /** Requests Gatehouse sent the agent on a request's own stream, by id, awaiting the agent's answer. */
  private final Map<String, CompletableFuture<JsonNode>> awaitingAgent = new ConcurrentHashMap<>();
  volatile long lastSeenNanos = System.nanoTime();
  /** The session's tools/call requests being answered: a session waiting on a call is not idle. */
  private final java.util.concurrent.atomic.AtomicInteger callsInFlight = new java.util.concurrent.atomic.AtomicInteger();
  /** Requests sent to the agent through the SDK whose answers are still awaited. */
  private final java.util.concurrent.atomic.AtomicInteger sdkRequestsOut = new java.util.concurrent.atomic.AtomicInteger();
  /** The agent as its latest request authenticated (scopes of its current token). */
  volatile dev.gatehouse.frontend.core.auth.Caller.AgentCaller caller;
  volatile String toolsFingerprint;
  volatile McpSchema.LoggingLevel logLevel;
  private volatile boolean closed;
  /** The agent's answer to roots/list, asked once ({@link #agentRoots()}); null until asked. */
  private Mono<List<McpSchema.Root>> agentRoots;
  /** The roots the agent answered; null until it has. */
  private volatile List<McpSchema.Root> knownRoots;

  GatewaySession(
      String id,
      String tenantId,
      String agentId,
      String virtualServer,
      McpSchema.ClientCapabilities capabilities,
      McpStreamableServerSession sdk,
      McpConnector connector,
      McpUpstreams upstreams,
      java.time.Duration credentialsCheck,
      UpstreamPlaces upstreamPlaces) {
    this.upstreamPlaces = upstreamPlaces;
    this.id = id;
    this.tenantId = tenantId;
    this.agentId = agentId;
    this.virtualServer = virtualServer;
    this.capabilities = capabilities == null ? McpSchema.ClientCapabilities.builder().build() : capabilities;
    this.sdk = sdk;
    this.connector = connector;
    this.upstreams = upstreams;
    this.credentialsCheckNanos = credentialsCheck.toNanos();
  }

  boolean hasListeningStream() {
    return sdk.hasListeningStream();
  }

  /** A tools/call of this session is being answered from now on. */
  void callStarted() {
    callsInFlight.incrementAndGet();
  }

  /** A tools/call of this session was answered: the idle clock starts again from its answer. */
  void callEnded() {
    callsInFlight.decrementAndGet();
    lastSeenNanos = System.nanoTime();
  }

  /** Whether a tools/call of this session is being answered. */
  boolean hasCallsInFlight() {
    return callsInFlight.get() > 0;
  }

  void notifyAgent(String method, Object params) {
    if (!closed) {
      // On a delivery thread: the write blocks while the agent does not read its stream, and the
      // caller (the maintenance thread) serves every session in turn.
      sdk.sendNotification(method, params).subscribeOn(McpThreads.delivery()).onErrorResume(e -> Mono.empty()).subscribe();
    }
  }

  /**
   * Sends an upstream's notification that came outside any call of the agent's to the agent's
   * listening GET stream. An agent that has none (it need not open one) does not get it: the
   * notification is dropped with a debug line, as {@link #notifyAgent} drops one, rather than
   * failing in the upstream client's handler, which logged every such notification as an error.
   */
  private Mono<Void> toListening(String method, Object params) {
    if (closed) {
      return Mono.empty();
    }
    return sdk.sendNotification(method, params)
        .onErrorResume(
            e -> {
              LOG.debug("agent session {} took no {} (no listening stream): {}", id, method, e.toString());
              return Mono.empty();
            });
  }

  /**
   * The route of a direct call: this session's upstream client, the agent's {@code _meta}, and the
   * signal that the agent cancelled the call.
   */
  McpRoute route(Map<String, Object> meta, Mono<?> cancelled) {
    return new McpRoute() {
      @Override
      public McpAsyncClient client(McpServerDefinition server) {
        return upstream(server);
      }

      @Override
      public Map<String, Object> meta() {
        return meta;
      }

      @Override
      public Mono<?> cancelled() {
        return cancelled;
      }
    };
  }

  /** Marks {@code channel} as waiting on {@code server}, so what the server sends goes to it. */
  void enter(String server, AgentChannel channel) {
    inFlight.computeIfAbsent(server, k -> new ConcurrentLinkedDeque<>()).push(channel);
  }

  void leave(String server, AgentChannel channel) {
    Deque<AgentChannel> d = inFlight.get(server);
    if (d != null) {
      d.remove(channel);
    }
  }

  /** The newest channel waiting on {@code server} whose request {@code token} is of; null when none is. */
  private AgentChannel forProgress(String server, Object token) {
    Deque<AgentChannel> d = inFlight.get(server);
    if (d != null) {
      for (AgentChannel ch : d) {
        if (ch.takesProgress(token)) {
          return ch;
        }
      }
    }
    return null;
  }

  private AgentChannel current(String server) {
    Deque<AgentChannel> d = inFlight.get(server);
    return d == null ? null : d.peek();
  }

  /** Whether a log message of this level reaches the agent (its {@code logging/setLevel}). */
  boolean logAllowed(McpSchema.LoggingLevel level) {
    return sdk.isNotificationForLevelAllowed(level);
  }

  /** Registers a request to the agent; the future completes with the agent's JSON-RPC answer. */
  CompletableFuture<JsonNode> expectAnswer(String requestId) {
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    awaitingAgent.put(requestId, answer);
    return answer;
  }

  void forgetAnswer(String requestId) {
    awaitingAgent.remove(requestId);
  }

  /** Fails a request to the agent that can no longer be answered (its stream has ended). */
  void abandonAnswer(String requestId) {
    CompletableFuture<JsonNode> waiting = awaitingAgent.remove(requestId);
    if (waiting != null) {
      waiting.completeExceptionally(
          McpErrors.of(ErrorCode.AGENT_GONE, "the agent's request ended before it answered"));
    }
  }

  /** A request to the agent through the SDK, counted while its answer is awaited ({@link #awaitsSdkAnswer}). */
  private <T> Mono<T> toAgent(String method, Object params, TypeRef<T> type) {
    return Mono.defer(() -> {
      sdkRequestsOut.incrementAndGet();
      return sdk.sendRequest(method, params, type).doFinally(signal -> sdkRequestsOut.decrementAndGet());
    });
  }

  /**
   * Whether the SDK awaits an answer from the agent. When it does not, an agent's response cannot
   * be for it: the filter drops such a response itself, since the SDK would log an error for
   * every one (a log line per POST a client could send at will).
   */
  boolean awaitsSdkAnswer() {
    return sdkRequestsOut.get() > 0;
  }

  /**
   * Takes the agent's answer (a JSON-RPC response) to a request Gatehouse sent it; false when the
   * answer is not to such a request (it is then the SDK's to match).
   */
  boolean answer(JsonNode message) {
    JsonNode id = message.get("id");
    CompletableFuture<JsonNode> waiting = id == null || !id.isTextual() ? null : awaitingAgent.remove(id.asText());
    if (waiting == null) {
      return false;
    }
    waiting.complete(message);
    return true;
  }

  /** An upstream session, the server record it was opened from, and when its credentials were last checked. */
  private static final class Upstream {
    final McpServerDefinition server;
    final McpAsyncClient client;
    /** Set once the session is replaced ({@link #retire}): its broadcasts are no longer relayed. */
    final java.util.concurrent.atomic.AtomicBoolean retired;
    private volatile long checkedNanos = System.nanoTime();

    Upstream(McpServerDefinition server, McpAsyncClient client, java.util.concurrent.atomic.AtomicBoolean retired) {
      this.server = server;
      this.client = client;
      this.retired = retired;
    }

    /**
     * Whether the credentials the session was opened with are still what the record resolves to,
     * looked at again once {@code everyNanos} has passed since the last look (only records with a
     * secret reference or authentication cost a lookup).
     */
    boolean credentialsCurrent(McpConnector connector, McpServerDefinition now, long everyNanos) {
      long t = System.nanoTime();
      if (t - checkedNanos < everyNanos) {
        return true;
      }
      checkedNanos = t;
      return connector.credentialsCurrent(now, client);
    }

    /**
     * Whether the session still serves {@code now}: nothing it was opened with changed (the
     * address, headers and credentials' references, authentication, timeouts, the egress guard,
     * the owner). What only Gatehouse reads per call (execution, retries, prefix) may change.
     */
    boolean serves(McpServerDefinition now) {
      return server == now
          || (Objects.equals(server.url(), now.url())
              && Objects.equals(server.transport(), now.transport())
              && Objects.equals(server.headers(), now.headers())
              && Objects.equals(server.auth(), now.auth())
              && Objects.equals(server.timeout(), now.timeout())
              && Objects.equals(server.connectTimeout(), now.connectTimeout())
              && Objects.equals(server.tenantId(), now.tenantId())
              && server.egressGuarded() == now.egressGuarded());
    }
  }

  /**
   * This session's client of {@code server}, started (and initialized) on first use; started
   * again when the registry changed how the server is reached (a new address, headers, the egress
   * guard) or its credentials resolve to something else now (a secret's new value, a renewed OAuth
   * token; looked at every {@code credentialsCheck}), so changes apply to open sessions too. The
   * old upstream session is ended once the calls in flight on it have had their timeout ({@link
   * #retire}).
   */
  McpAsyncClient upstream(McpServerDefinition server) {
    if (McpServerDefinition.STDIO.equals(server.transport())) {
      // One child process per server, shared: a process per agent session would not scale.
      return upstreams.client(server);
    }
    Upstream existing = clients.get(server.name());
    if (existing != null && existing.serves(server) && existing.credentialsCurrent(connector, server, credentialsCheckNanos)) {
      return existing.client;
    }
    synchronized (clients) {
      Upstream now = clients.get(server.name());
      if (now != null && now != existing && now.serves(server)) {
        return now.client; // opened, or opened again, by a call that came first
      }
      existing = now;
      if (closed) {
        throw new IllegalStateException("session closed");
      }
      // The agent's roots when it has told them already; otherwise the upstream session starts with
      // none and is given them when the agent answers (no thread waits for an agent here).
      List<McpSchema.Root> roots = capabilities.roots() == null ? null : knownRoots;
      if (existing == null) {
        upstreamPlaces.take(tenantId); // a new one (one that replaces another keeps its place); refused: nothing opened
      }
      McpAsyncClient client;
      var replaced = new java.util.concurrent.atomic.AtomicBoolean();
      try {
        client = connector.client(server, handlers(server, roots == null && capabilities.roots() != null ? List.of() : roots, replaced));
      } catch (RuntimeException e) {
        if (existing == null) {
          upstreamPlaces.release(tenantId, 1);
        }
        throw e;
      }
      try {
        client.initialize().block(server.connectTimeoutOrDefault().plusSeconds(5));
      } catch (RuntimeException e) {
        client.close();
        if (existing == null) {
          upstreamPlaces.release(tenantId, 1);
        }
        throw e;
      }
      if (capabilities.roots() != null && roots == null) {
        agentRoots()
            .subscribe(
                answered -> {
                  for (McpSchema.Root root : answered) {
                    client.addRoot(root).onErrorResume(e -> Mono.empty()).subscribe();
                  }
                });
      }
      if (logLevel != null) {
        client.setLoggingLevel(logLevel).onErrorResume(e -> Mono.empty()).subscribe();
      }
      clients.put(server.name(), new Upstream(server, client, replaced));
      if (existing != null) {
        retire(server.name(), existing);
      }
      return client;
    }
  }

  /**
   * Ends a replaced upstream session once the calls in flight on it have had the timeout it was
   * opened with (and {@link McpUpstreams#RETIRE_GRACE}), not at once: they were let through, and the server
   * may be running them. One per server is kept so (a second replacement ends the first now).
   * Called holding {@code clients}.
   */
  private void retire(String name, Upstream old) {
    old.retired.set(true);
    McpAsyncClient before = retired.put(name, old.client);
    if (before != null) {
      before.closeGracefully().onErrorResume(e -> Mono.empty()).subscribe();
    }
    Mono.delay(old.server.timeoutOrDefault().plus(McpUpstreams.RETIRE_GRACE))
        .subscribe(
            x -> {
              if (retired.remove(name, old.client)) {
                old.client.closeGracefully().onErrorResume(e -> Mono.empty()).subscribe();
              }
            });
  }

  /** Applies a log level to every upstream session open now (and to those opened later). */
  void setLogLevel(McpSchema.LoggingLevel level) {
    logLevel = level;
    sdk.setMinLoggingLevel(level);
    for (Upstream u : clients.values()) {
      u.client.setLoggingLevel(level).onErrorResume(e -> Mono.empty()).subscribe();
    }
  }

  /**
   * The agent's roots, asked of it once per session, the first time an upstream session needs
   * them: the agent's answer is awaited by no thread (an agent that declared roots and never
   * answered held a shared worker thread for 5 s per upstream session it opened, and a few such
   * agents stalled every agent's MCP calls). At most {@link #MAX_ROOTS} are taken; an agent that
   * does not answer within 5 s has none. Called under {@code clients}' lock.
   */
  private Mono<List<McpSchema.Root>> agentRoots() {
    if (agentRoots == null) {
      agentRoots =
          toAgent(McpSchema.METHOD_ROOTS_LIST, null, ROOTS)
              .timeout(Duration.ofSeconds(5))
              .map(r -> r == null || r.roots() == null ? List.<McpSchema.Root>of() : List.copyOf(r.roots().subList(0, Math.min(MAX_ROOTS, r.roots().size()))))
              .onErrorResume(
                  e -> {
                    LOG.debug("agent session {} did not list its roots: {}", id, e.toString());
                    return Mono.just(List.of());
                  })
              .doOnNext(r -> knownRoots = r)
              .cache();
    }
    return agentRoots;
  }

  /**
   * What upstream session {@code retired} (set once it is replaced) sends reaches the agent: its
   * calls' progress always; its log messages and resource updates only while it is the session in
   * use, since the one that replaced it sends the server's again (the agent had them twice).
   */
  private UpstreamHandlers handlers(McpServerDefinition server, List<McpSchema.Root> roots, java.util.concurrent.atomic.AtomicBoolean retired) {
    String name = server.name();
    var sampling =
        capabilities.sampling() == null
            ? null
            : (java.util.function.Function<McpSchema.CreateMessageRequest, Mono<McpSchema.CreateMessageResult>>)
                req -> {
                  AgentChannel ch = current(name);
                  return ch != null ? ch.createMessage(req) : toAgent(McpSchema.METHOD_SAMPLING_CREATE_MESSAGE, req, SAMPLING);
                };
    var elicitation =
        capabilities.elicitation() == null
            ? null
            : (java.util.function.Function<McpSchema.ElicitFormRequest, Mono<McpSchema.ElicitResult>>)
                req -> {
                  AgentChannel ch = current(name);
                  return ch != null
                      ? ch.elicit(req)
                      : toAgent(McpSchema.METHOD_ELICITATION_CREATE, req, ELICIT);
                };
    return new UpstreamHandlers(
        sampling,
        elicitation,
        roots,
        n -> {
          if (current(name) == null) {
            return toListening(McpSchema.METHOD_NOTIFICATION_PROGRESS, n);
          }
          // The call the token is of, of those in flight on this server; none: dropped.
          AgentChannel ch = forProgress(name, n.progressToken());
          return ch != null ? ch.progress(n) : Mono.empty();
        },
        n -> {
          if (retired.get()) {
            return Mono.empty();
          }
          AgentChannel ch = current(name);
          if (ch != null) {
            return ch.log(n);
          }
          return sdk.isNotificationForLevelAllowed(n.level()) ? toListening(McpSchema.METHOD_NOTIFICATION_MESSAGE, n) : Mono.empty();
        },
        n -> {
          // Relayed when the agent may read the resource, as resources/read checks it.
          var who = caller;
          if (!retired.get()
              && who != null
              && dev.gatehouse.policies.access.AccessPolicy.tool(who.agent().permissions(), who.scopes(), server.qualify(n.uri())).allowed()) {
            notifyAgent(McpSchema.METHOD_NOTIFICATION_RESOURCES_UPDATED, n);
          }
          return Mono.empty();
        },
        () -> upstreams.refreshSoon(name),
        null);
  }

  /** Ends the SDK's side of the session too: its GET stream and any open response stream end, pending requests fail. */
  void endStreams() {
    sdk.close();
  }

  void close() {
    closed = true;
    awaitingAgent.values().forEach(f -> f.cancel(false));
    awaitingAgent.clear();
    synchronized (clients) {
      for (Upstream u : clients.values()) {
        u.client.closeGracefully().onErrorResume(e -> Mono.empty()).subscribe();
      }
      upstreamPlaces.release(tenantId, clients.size());
      clients.clear();
      for (McpAsyncClient r : retired.values()) {
        r.closeGracefully().onErrorResume(e -> Mono.empty()).subscribe();
      }
      retired.clear();
    }
  }
}
