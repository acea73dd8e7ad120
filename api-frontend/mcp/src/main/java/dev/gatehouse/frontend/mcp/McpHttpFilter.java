package dev.gatehouse.frontend.mcp;

import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.auth.BearerAuth;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.core.errors.UnreadableBody;
import dev.gatehouse.frontend.core.http.BoundedBody;
import dev.gatehouse.frontend.core.http.ContentEncodingFilter;
import dev.gatehouse.frontend.core.http.HostGuard;
import dev.gatehouse.frontend.core.http.PublicUrl;
import dev.gatehouse.frontend.core.http.RequestIdFilter;
import dev.gatehouse.frontend.core.http.RequestIds;
import dev.gatehouse.frontend.core.jsonrpc.JsonRpc;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.MDC;

/**
 * Everything the MCP transport must check before the SDK sees a request to {@code /mcp} or {@code
 * /mcp/{virtualServer}}: DNS-rebinding protection (Host and Origin), the agent's bearer key or
 * token (401 with {@code WWW-Authenticate: Bearer resource_metadata=...} as the MCP authorization
 * spec asks), the virtual server, the session's owner, the body's size and JSON-RPC shape (no
 * batches), and the number of open sessions ({@code mcp.maxSessions} on the replica, {@code
 * mcp.maxSessionsPerTenant} of one tenant's agents, {@code mcp.maxSessionsPerAgent} of one agent:
 * past any {@code initialize} is refused with 429 {@code
 * overloaded}). Errors are JSON-RPC error objects with Gatehouse's
 * code in {@code data.code}; the SDK's own error answers (which would carry a stack trace) are
 * replaced by such objects too.
 * Once checked, a {@code tools/call} is answered by {@link McpToolCallHandler} and the agent's
 * answer to a request Gatehouse sent it on a call's stream is taken by its session, neither
 * reaching the SDK; everything else goes on to the SDK.
 */
public final class McpHttpFilter implements Filter {
  /** A refused oversized body is read and dropped up to this many times the limit. */
  private static final long DRAIN_FACTOR = 8;
  /** What the Streamable HTTP transport serves; anything else is 405 with this list in {@code Allow}. */
  private static final List<String> ALLOWED_METHODS = List.of("POST", "GET", "DELETE");

  private final BearerAuth auth;
  private final McpSessions sessions;
  private final McpToolCallHandler toolCalls;
  private final VirtualServerDao virtualServers;
  private final HostGuard hosts;
  private final PublicUrl publicUrl;
  private final long maxBody;
  private final Admission admission;
  private final int maxSessions;
  private final int maxSessionsPerTenant;
  private final int maxSessionsPerAgent;

  McpHttpFilter(
      BearerAuth auth,
      McpSessions sessions,
      McpToolCallHandler toolCalls,
      Jdbi jdbi,
      HostGuard hosts,
      PublicUrl publicUrl,
      long maxBody,
      Admission admission,
      int maxSessions,
      int maxSessionsPerTenant,
      int maxSessionsPerAgent) {
    this.admission = admission;
    this.maxSessions = maxSessions;
    this.maxSessionsPerTenant = maxSessionsPerTenant;
    this.maxSessionsPerAgent = maxSessionsPerAgent;
    this.auth = auth;
    this.sessions = sessions;
    this.toolCalls = toolCalls;
    this.virtualServers = jdbi.onDemand(VirtualServerDao.class);
    this.hosts = hosts;
    this.publicUrl = publicUrl;
    this.maxBody = maxBody;
  }

  /** The id of the request being served, once its body has been read: what a refusal answers. */
  private static final String REFUSED_ID = McpHttpFilter.class.getName() + ".id";

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    // The request's id, as on every other path: echoed, in the log's context, on its audit rows.
    String requestId = RequestIds.fromHeader(request.getHeader(RequestIdFilter.HEADER));
    response.setHeader(RequestIdFilter.HEADER, requestId);
    MDC.put(RequestIdFilter.MDC_KEY, requestId);
    try {
      serve(request, response, chain, requestId);
    } catch (ApiException refused) {
      if (response.isCommitted()) {
        return; // an answer is on its way already; nothing more can be said
      }
      unreadBody(request, refused.status());
      if (refused.error() == ErrorCode.UNAUTHORIZED) {
        response.setHeader(
            "WWW-Authenticate",
            "Bearer resource_metadata=\"" + publicUrl.base(request) + "/.well-known/oauth-protected-resource"
                + request.getRequestURI() + "\"");
        JsonRpc.writeError(response, refused.error(), refused.getMessage());
      } else {
        // A refusal of a message that was read answers its id, so the agent can match it.
        JsonRpc.writeError(
            response,
            refused,
            refused instanceof JsonRpc.RefusedRequest read
                ? read.id()
                : (com.fasterxml.jackson.databind.JsonNode) request.getAttribute(REFUSED_ID));
      }
    } finally {
      MDC.remove(RequestIdFilter.MDC_KEY);
    }
  }

  private void serve(HttpServletRequest request, HttpServletResponse response, FilterChain chain, String requestId)
      throws IOException, ServletException {
    String path = request.getRequestURI();
    String virtualServer = null;
    if (path.startsWith("/mcp/")) {
      virtualServer = path.substring("/mcp/".length());
      if (virtualServer.isEmpty() || virtualServer.contains("/")) {
        throw new ApiException(ErrorCode.NOT_FOUND, "no MCP endpoint here; use /mcp or /mcp/{virtualServer}");
      }
    }

    // 0. The transport's methods: POST a message, GET the listening stream, DELETE the session.
    if (!ALLOWED_METHODS.contains(request.getMethod())) {
      throw new ApiException(
          ErrorCode.METHOD_NOT_ALLOWED,
          "method not allowed on the MCP endpoint; use POST, GET or DELETE",
          java.util.Map.of("Allow", String.join(", ", ALLOWED_METHODS)));
    }

    // 1. DNS-rebinding protection.
    if (!hosts.hostAllowed(request.getHeader("Host"))) {
      throw new ApiException(ErrorCode.FORBIDDEN_HOST, "this Host is not allowed (mcp.allowedHosts)");
    }
    if (!hosts.originAllowed(request.getHeader("Origin"))) {
      throw new ApiException(ErrorCode.FORBIDDEN_ORIGIN, "this Origin is not allowed (mcp.allowedOrigins)");
    }

    // 2. The agent.
    AgentCaller agent =
        (AgentCaller)
            auth.authenticate(
                new BearerAuth.Attempt(request.getHeader("Authorization"), request.getRemoteAddr(), path, requestId),
                BearerAuth.Audience.AGENT,
                "/mcp");
    VirtualServer selection = null;
    if (virtualServer != null) {
      Optional<VirtualServer> vs = virtualServers.find(virtualServer);
      if (vs.isEmpty() || (vs.get().tenantId() != null && !vs.get().tenantId().equals(agent.agent().tenantId()))) {
        throw new ApiException(ErrorCode.UNKNOWN_VIRTUAL_SERVER, "no virtual server '" + virtualServer + "'");
      }
      selection = vs.get();
    }

    // 3. The session: it must exist here and belong to this agent on this endpoint.
    String sessionId = request.getHeader("Mcp-Session-Id");
    if (sessionId == null && ("GET".equalsIgnoreCase(request.getMethod()) || "DELETE".equalsIgnoreCase(request.getMethod()))) {
      // a listening stream and a session's end are a session's
      throw new ApiException(ErrorCode.MISSING_SESSION, "send the Mcp-Session-Id header the initialize answer gave");
    }
    GatewaySession session = null;
    if (sessionId != null) {
      session = sessions.find(sessionId).orElse(null);
      if (session == null
          || !session.agentId.equals(agent.agent().id())
          || !Objects.equals(session.virtualServer, virtualServer)) {
        throw new ApiException(
            ErrorCode.UNKNOWN_SESSION, "Session not found (it ended, expired or belongs elsewhere); initialize again");
      }
      session.lastSeenNanos = System.nanoTime();
      session.caller = agent;
      if (!"POST".equalsIgnoreCase(request.getMethod())) {
        checkProtocolVersion(request); // a POST's is checked once its message's id is known, so its answer names it
      }
    }

    // 4. The body: size, JSON, one JSON-RPC message.
    String idempotencyKey = DurableCalls.idempotencyKey(java.util.Collections.list(request.getHeaders("Idempotency-Key")));
    Object jsonRpcId = null;
    boolean answerToNothing = false;
    boolean initialize = false;
    boolean upstream = false;
    HttpServletRequest forward = request;
    if ("POST".equalsIgnoreCase(request.getMethod())) {
      ContentEncodingFilter.check(request.getHeader("Content-Encoding"));
      checkCharset(request.getHeader("Content-Type")); // getContentType() throws on an unknown charset
      byte[] body = request.getContentLengthLong() > maxBody ? null : readBody(request);
      if (body == null) {
        BoundedBody.drain(request.getInputStream(), maxBody * DRAIN_FACTOR);
        throw new ApiException(ErrorCode.REQUEST_TOO_LARGE, "the message is larger than " + maxBody + " bytes");
      }
      JsonRpc.Message message = JsonRpc.parse(body);
      if (message.method() != null && message.id() != null && message.id().isNull()) {
        // JSON-RPC tolerates it; MCP does not (a request's id must not be null).
        throw new ApiException(ErrorCode.INVALID_REQUEST, "Invalid Request: an MCP request's 'id' must be a string or an integer, not null");
      }
      jsonRpcId = message.idValue();
      if (message.isRequest()) {
        request.setAttribute(REFUSED_ID, message.id());
      }
      if (session != null) {
        checkProtocolVersion(request);
      }
      initialize = McpSchema.METHOD_INITIALIZE.equals(message.method());
      if (initialize && sessionId != null) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "initialize starts a session; send it without Mcp-Session-Id");
      }
      if (initialize && !message.isRequest()) {
        throw new ApiException(ErrorCode.INVALID_REQUEST, "Invalid Request: initialize is a request; give it an id");
      }
      if (initialize) {
        checkInitializeParams(message.params());
      }
      if (!initialize && sessionId == null) {
        throw new ApiException(ErrorCode.MISSING_SESSION, "send the Mcp-Session-Id header the initialize answer gave");
      }
      if (session != null && message.isResponse() && session.answer(message.json())) {
        response.setStatus(202); // the agent's answer to a request Gatehouse sent it on a call's stream
        return;
      }
      if (session != null
          && (message.isResponse() ? !session.awaitsSdkAnswer() : !message.isRequest() && !sessions.handlesNotification(message.method()))) {
        // A response nobody awaits, or a notification nothing handles: accepted and ignored, as
        // JSON-RPC lets a receiver do, here rather than in the SDK, which logs a line for each.
        response.setStatus(202);
        return;
      }
      answerToNothing = message.isResponse();
      if (session != null && message.isRequest() && McpSchema.METHOD_TOOLS_CALL.equals(message.method())) {
        // 5. tools/call is Gatehouse's own: answered here, on this thread, without the SDK.
        String accept = request.getHeader("Accept");
        if (accept == null || !accept.contains("application/json") || !accept.contains("text/event-stream")) {
          throw new ApiException(ErrorCode.INVALID_REQUEST, "the Accept header must list application/json and text/event-stream");
        }
        McpRequestContext ctx =
            new McpRequestContext(requestId, agent, virtualServer, selection, jsonRpcId, idempotencyKey, null, null);
        toolCalls.handle(session, ctx, message.json(), response);
        return;
      }
      forward = new ForwardedRequests.CachedBodyRequest(request, body);
      upstream = session != null && message.isRequest() && PassThrough.UPSTREAM_METHODS.contains(message.method());
    }

    if (virtualServer != null) {
      forward = new ForwardedRequests.EndpointRequest(forward); // the SDK serves one endpoint path: /mcp
    }
    // An initialize takes its session's place before the SDK starts the session, so initializes
    // arriving together cannot pass the limits together; the place is given back if no session
    // started (the SDK refused the request).
    McpSessions.Place place = initialize ? reserve(agent.agent().tenantId(), agent.agent().id()) : null;
    // A request that waits on an upstream counts as a direct call of its tenant, as a tools/call
    // does: one tenant's reads of a slow server cannot hold every thread that serves them.
    Admission.Permit upstreamSlot = upstream ? admission.directCall(agent.agent().tenantId()) : null;
    McpRequestContext ctx =
        new McpRequestContext(requestId, agent, virtualServer, selection, jsonRpcId, idempotencyKey, place, upstreamSlot);
    forward.setAttribute(McpRequestContext.ATTRIBUTE, ctx);
    SanitizingResponse wrapped = new SanitizingResponse(response, answerToNothing, "GET".equalsIgnoreCase(request.getMethod()));
    McpRequestContext.CURRENT.set(ctx);
    try {
      chain.doFilter(forward, wrapped);
    } finally {
      McpRequestContext.CURRENT.remove();
      if (place != null) {
        place.close();
      }
      if (upstreamSlot != null) {
        upstreamSlot.close(); // if the handler never ran; else it gave it back already
      }
    }
    wrapped.finish();
    if ("DELETE".equalsIgnoreCase(request.getMethod()) && sessionId != null && response.getStatus() < 300) {
      sessions.end(sessionId);
    }
  }

  /** A place for a session of {@code agentId}; 429 {@code overloaded} when the replica, the tenant or the agent has none left. */
  private McpSessions.Place reserve(String tenantId, String agentId) {
    McpSessions.Place place = sessions.reserve(tenantId, agentId, maxSessions, maxSessionsPerTenant, maxSessionsPerAgent);
    if (place.refused() == Admission.Limit.TENANT_SESSIONS) {
      throw admission.refusal(
          Admission.Limit.TENANT_SESSIONS,
          maxSessionsPerTenant,
          "MCP sessions of this tenant's agents are open on this replica; end unused ones (DELETE) or retry later");
    }
    if (place.refused() == Admission.Limit.SESSIONS) {
      throw admission.refusal(
          Admission.Limit.SESSIONS, maxSessions, "MCP sessions are open on this replica; end unused ones (DELETE) or retry later");
    }
    if (place.refused() == Admission.Limit.AGENT_SESSIONS) {
      throw admission.refusal(
          Admission.Limit.AGENT_SESSIONS,
          maxSessionsPerAgent,
          "MCP sessions of this agent are open on this replica; end unused ones (DELETE) or retry later");
    }
    return place;
  }

  /**
   * Reads and drops what is left of a refused request's body (at most {@code maxBody} bytes) before
   * the refusal is written, as the task and model faces do: most refusals come before the body is
   * read (a missing key, an unknown session), and Jetty closes a keep-alive connection whose
   * request body it could not finish reading once the answer has gone, without saying so in the
   * answer, so a client that sends its next request on that connection saw it drop. Not when the
   * refusal is that the body did not come ({@link BoundedBody#drainBefore}).
   */
  private void unreadBody(HttpServletRequest request, int status) {
    try {
      BoundedBody.drainBefore(status, request.getInputStream(), maxBody);
    } catch (IOException | RuntimeException e) {
      // the body was taken as a reader, or cannot be had: Jetty decides about the connection
    }
  }

  /**
   * JSON is UTF-8 (RFC 8259); the SDK decodes the body with the declared charset, and fails on one
   * it does not know. A charset other than UTF-8 is refused before it gets there.
   */
  /**
   * A request of a session names the MCP version it speaks (none: 2025-03-26, which did not send
   * it); one Gatehouse does not speak is 400, as the transport spec asks.
   */
  private static void checkProtocolVersion(HttpServletRequest request) {
    String version = request.getHeader("MCP-Protocol-Version");
    if (version != null && !McpSessions.PROTOCOL_VERSIONS.contains(version)) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST,
          "unsupported MCP-Protocol-Version; this gateway speaks " + String.join(", ", McpSessions.PROTOCOL_VERSIONS));
    }
  }

  private static void checkCharset(String contentType) {
    if (contentType == null) {
      return;
    }
    for (String param : contentType.split(";")) {
      String p = param.trim().toLowerCase(java.util.Locale.ROOT);
      if (p.startsWith("charset=")) {
        String charset = p.substring("charset=".length()).replace("\"", "").trim();
        if (!charset.equals("utf-8") && !charset.equals("utf8")) {
          throw new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the message as application/json in UTF-8");
        }
      }
    }
  }

  /** The body, at most {@code maxBody} bytes (null when longer); a body that cannot be read is the client's 400. */
  private byte[] readBody(HttpServletRequest request) {
    try {
      return BoundedBody.read(request.getInputStream(), maxBody, request.getContentLengthLong());
    } catch (IOException | RuntimeException e) {
      throw UnreadableBody.of(e).orElseGet(() -> new ApiException(ErrorCode.MALFORMED_BODY, "the body could not be read"));
    }
  }

  /**
   * {@code initialize}'s params, checked before the SDK reads them (it fails on a missing or
   * mistyped member with a Java message): an object with a string {@code protocolVersion}, and
   * {@code capabilities} and {@code clientInfo} objects when present.
   */
  private static void checkInitializeParams(JsonNode params) {
    if (!params.isObject()) {
      throw new ApiException(
          ErrorCode.INVALID_PARAMS,
          "Invalid params: initialize needs params {protocolVersion, capabilities, clientInfo}");
    }
    if (!params.path("protocolVersion").isTextual()) {
      throw new ApiException(ErrorCode.INVALID_PARAMS, "Invalid params: 'protocolVersion' must be a string");
    }
    for (String member : new String[] {"capabilities", "clientInfo"}) {
      JsonNode m = params.get(member);
      if (m != null && !m.isNull() && !m.isObject()) {
        throw new ApiException(ErrorCode.INVALID_PARAMS, "Invalid params: '" + member + "' must be an object");
      }
    }
    JsonNode client = params.path("clientInfo");
    for (String member : new String[] {"name", "version", "title"}) {
      JsonNode m = client.get(member);
      if (m != null && !m.isNull() && !m.isTextual()) {
        throw new ApiException(ErrorCode.INVALID_PARAMS, "Invalid params: 'clientInfo." + member + "' must be a string");
      }
    }
  }
}
