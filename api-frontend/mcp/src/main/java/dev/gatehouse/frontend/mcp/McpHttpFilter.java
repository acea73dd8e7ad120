package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.frontend.core.auth.AuthenticationException;
import dev.gatehouse.frontend.core.auth.Authenticator;
import dev.gatehouse.frontend.core.auth.Caller;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.policies.limits.FailureThrottle;
import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Everything the MCP transport must check before the SDK sees a request to {@code /mcp} or {@code
 * /mcp/{virtualServer}}: DNS-rebinding protection (Host and Origin), the agent's bearer key or
 * token (401 with {@code WWW-Authenticate: Bearer resource_metadata=...} as the MCP authorization
 * spec asks; failed attempts throttled per address), the virtual server, the session's owner,
 * the body's size and JSON-RPC shape (no batches). Errors are JSON-RPC error objects with
 * Gatehouse's code in {@code data.code}; the SDK's own error answers (which would carry a stack
 * trace) are replaced by such objects too. Once checked, a {@code tools/call} is answered by
 * {@link McpToolCallHandler} and the agent's answer to a request Gatehouse sent it on a call's
 * stream is taken by its session, neither reaching the SDK; everything else goes on to the SDK.
 */
public final class McpHttpFilter implements Filter {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A refused oversized body is read and dropped up to this many times the limit. */
  private static final long DRAIN_FACTOR = 8;

  private final Authenticator authenticator;
  private final FailureThrottle throttle;
  private final AuditLog audit;
  private final McpFace face;
  private final VirtualServerDao virtualServers;
  private final List<String> allowedHosts;
  private final List<String> allowedOrigins;
  private final String publicUrl;
  private final long maxBody;

  public McpHttpFilter(
      Authenticator authenticator,
      FailureThrottle throttle,
      AuditLog audit,
      McpFace face,
      Jdbi jdbi,
      List<String> allowedHosts,
      List<String> allowedOrigins,
      String publicUrl,
      long maxBody) {
    this.authenticator = authenticator;
    this.throttle = throttle;
    this.audit = audit;
    this.face = face;
    this.virtualServers = jdbi.onDemand(VirtualServerDao.class);
    this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    this.allowedOrigins = allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
    this.publicUrl = publicUrl;
    this.maxBody = maxBody;
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    String path = request.getRequestURI();
    String virtualServer = null;
    if (path.startsWith("/mcp/")) {
      virtualServer = path.substring("/mcp/".length());
      if (virtualServer.isEmpty() || virtualServer.contains("/")) {
        error(response, 404, -32600, "not_found", "no MCP endpoint here; use /mcp or /mcp/{virtualServer}");
        return;
      }
    }

    // 1. DNS-rebinding protection.
    if (!hostAllowed(request.getHeader("Host"))) {
      error(response, 403, -32600, "forbidden_host", "this Host is not allowed (mcp.allowedHosts)");
      return;
    }
    String origin = request.getHeader("Origin");
    if (origin != null && !originAllowed(origin)) {
      error(response, 403, -32600, "forbidden_origin", "this Origin is not allowed (mcp.allowedOrigins)");
      return;
    }

    // 2. The agent.
    String source = request.getRemoteAddr();
    Duration wait = throttle.retryAfter(source);
    if (!wait.isZero()) {
      response.setHeader("Retry-After", Long.toString(wait.toSeconds()));
      error(response, 429, -32600, "too_many_failures", "too many failed authentication attempts from this address");
      return;
    }
    String header = request.getHeader("Authorization");
    Caller caller;
    try {
      if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw new AuthenticationException("send your agent key or token as 'Authorization: Bearer <credential>'");
      }
      caller = authenticator.authenticate(header.substring(7).trim());
    } catch (AuthenticationException e) {
      if (header != null) {
        throttle.failure(source);
      }
      audit.record(
          new AuditEvent(
              Instant.now(), null, null, source, null, null, "auth", "/mcp", "deny", "unauthorized", null,
              "authentication", e.getMessage()));
      response.setHeader(
          "WWW-Authenticate",
          "Bearer resource_metadata=\"" + baseUrl(request) + "/.well-known/oauth-protected-resource" + path + "\"");
      error(response, 401, -32600, "unauthorized", e.getMessage());
      return;
    }
    if (!(caller instanceof AgentCaller agent)) {
      error(response, 403, -32600, "forbidden", "admin keys cannot use /mcp; use an agent key");
      return;
    }
    VirtualServer selection = null;
    if (virtualServer != null) {
      Optional<VirtualServer> vs = virtualServers.find(virtualServer);
      if (vs.isEmpty() || (vs.get().tenantId() != null && !vs.get().tenantId().equals(agent.agent().tenantId()))) {
        error(response, 404, -32600, "unknown_virtual_server", "no virtual server '" + virtualServer + "'");
        return;
      }
      selection = vs.get();
    }

    // 3. The session: it must exist here and belong to this agent on this endpoint.
    String sessionId = request.getHeader("Mcp-Session-Id");
    GatewaySession session = null;
    if (sessionId != null) {
      session = face.session(sessionId).orElse(null);
      if (session == null
          || !session.agentId.equals(agent.agent().id())
          || !java.util.Objects.equals(session.virtualServer, virtualServer)) {
        error(response, 404, -32001, "unknown_session", "Session not found (it ended, expired or belongs elsewhere); initialize again");
        return;
      }
      session.lastSeenNanos = System.nanoTime();
      session.caller = agent;
    }

    // 4. The body: size, JSON, one JSON-RPC message.
    Object jsonRpcId = null;
    HttpServletRequest forward = request;
    if ("POST".equalsIgnoreCase(request.getMethod())) {
      if (request.getContentLengthLong() > maxBody) {
        drain(request.getInputStream(), maxBody * DRAIN_FACTOR);
        error(response, 413, -32600, "request_too_large", "the message is larger than " + maxBody + " bytes");
        return;
      }
      byte[] body = readLimited(request.getInputStream(), maxBody);
      if (body == null) {
        drain(request.getInputStream(), maxBody * DRAIN_FACTOR);
        error(response, 413, -32600, "request_too_large", "the message is larger than " + maxBody + " bytes");
        return;
      }
      JsonNode message;
      try {
        message = JSON.readTree(body);
      } catch (JsonProcessingException e) {
        error(response, 400, -32700, "invalid_json", "Parse error: the body is not valid JSON");
        return;
      }
      if (message == null || message.isMissingNode()) {
        error(response, 400, -32700, "invalid_json", "Parse error: the body is empty");
        return;
      }
      if (message.isArray()) {
        error(response, 400, -32600, "batch_not_supported", "JSON-RPC batches are not supported; send one message per request");
        return;
      }
      if (!message.isObject() || !"2.0".equals(message.path("jsonrpc").asText(null))) {
        error(response, 400, -32600, "invalid_request", "Invalid Request: not a JSON-RPC 2.0 message");
        return;
      }
      JsonNode method = message.get("method");
      boolean isResponse = message.has("result") || message.has("error");
      if ((method == null && !isResponse) || (method != null && !method.isTextual())) {
        error(response, 400, -32600, "invalid_request", "Invalid Request: 'method' must be a string");
        return;
      }
      JsonNode id = message.get("id");
      if (id != null && !(id.isTextual() || id.isIntegralNumber() || id.isNull())) {
        error(response, 400, -32600, "invalid_request", "Invalid Request: 'id' must be a string or an integer");
        return;
      }
      if (id != null && !id.isNull() && method != null) {
        jsonRpcId = id.isTextual() ? id.asText() : (Object) id.asLong();
      }
      if (method != null && "initialize".equals(method.asText()) && sessionId != null) {
        error(response, 400, -32600, "invalid_request", "initialize starts a session; send it without Mcp-Session-Id");
        return;
      }
      if (method != null && !"initialize".equals(method.asText()) && sessionId == null) {
        error(response, 400, -32600, "missing_session", "send the Mcp-Session-Id header the initialize answer gave");
        return;
      }
      if (session != null && isResponse && session.answer(message)) {
        response.setStatus(202); // the agent's answer to a request Gatehouse sent it on a call's stream
        return;
      }
      if (session != null && jsonRpcId != null && McpSchema.METHOD_TOOLS_CALL.equals(method.asText())) {
        // 5. tools/call is Gatehouse's own: answered here, on this thread, without the SDK.
        String accept = request.getHeader("Accept");
        if (accept == null || !accept.contains("application/json") || !accept.contains("text/event-stream")) {
          error(response, 400, -32600, "invalid_request", "the Accept header must list application/json and text/event-stream");
          return;
        }
        McpRequestContext ctx = new McpRequestContext(agent, virtualServer, selection, jsonRpcId, request.getHeader("Idempotency-Key"));
        face.toolCalls().handle(session, ctx, message, response);
        return;
      }
      forward = new CachedBodyRequest(request, body);
    }

    if (virtualServer != null) {
      forward = new EndpointRequest(forward); // the SDK serves one endpoint path: /mcp
    }
    McpRequestContext ctx = new McpRequestContext(agent, virtualServer, selection, jsonRpcId, request.getHeader("Idempotency-Key"));
    forward.setAttribute(McpRequestContext.ATTRIBUTE, ctx);
    SanitizingResponse wrapped = new SanitizingResponse(response);
    McpRequestContext.CURRENT.set(ctx);
    try {
      chain.doFilter(forward, wrapped);
    } finally {
      McpRequestContext.CURRENT.remove();
    }
    wrapped.finish();
    if ("DELETE".equalsIgnoreCase(request.getMethod()) && sessionId != null && response.getStatus() < 300) {
      face.close(sessionId);
    }
  }

  private boolean hostAllowed(String host) {
    if (host == null) {
      return false;
    }
    String name = host.toLowerCase(Locale.ROOT);
    String port = "";
    if (name.startsWith("[")) {
      int end = name.indexOf(']');
      if (end < 0) {
        return false;
      }
      port = name.substring(end + 1);
      name = name.substring(0, end + 1);
    } else if (name.indexOf(':') >= 0) {
      port = name.substring(name.indexOf(':'));
      name = name.substring(0, name.indexOf(':'));
    }
    // Only an optional numeric port may follow the name (the Host also goes into WWW-Authenticate).
    if (!port.isEmpty() && !port.matches(":[0-9]{1,5}")) {
      return false;
    }
    return allowedHosts.contains("*") || allowedHosts.contains(name);
  }

  private boolean originAllowed(String origin) {
    String o = origin.toLowerCase(Locale.ROOT);
    if (allowedOrigins.contains("*") || allowedOrigins.contains(o)) {
      return true;
    }
    try {
      URI uri = URI.create(o);
      return uri.getHost() != null && hostAllowed(uri.getRawAuthority());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private String baseUrl(HttpServletRequest request) {
    if (publicUrl != null && !publicUrl.isBlank()) {
      return publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }
    return request.getScheme() + "://" + request.getHeader("Host");
  }

  /**
   * Reads and drops what is left of a refused body, up to {@code max} bytes, so the client that
   * is still sending sees the error answer instead of a reset connection; a larger body is left
   * to Jetty, which closes the connection.
   */
  private static void drain(InputStream in, long max) {
    byte[] buf = new byte[8192];
    long left = max;
    try {
      int n;
      while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
        left -= n;
      }
    } catch (IOException e) {
      // the client went away: nothing to drain
    }
  }

  private static byte[] readLimited(InputStream in, long max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
      if (total > max) {
        return null;
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  static void error(HttpServletResponse response, int status, int code, String gatehouseCode, String message)
      throws IOException {
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.getOutputStream().write(envelope(code, gatehouseCode, message));
  }

  static byte[] envelope(int code, String gatehouseCode, String message) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("jsonrpc", "2.0");
    body.putNull("id");
    ObjectNode error = body.putObject("error");
    error.put("code", code);
    error.put("message", message);
    error.putObject("data").put("code", gatehouseCode);
    return body.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A request to {@code /mcp/{virtualServer}} as the SDK's single endpoint sees it. */
  private static final class EndpointRequest extends HttpServletRequestWrapper {
    EndpointRequest(HttpServletRequest request) {
      super(request);
    }

    @Override
    public String getRequestURI() {
      return "/mcp";
    }

    @Override
    public StringBuffer getRequestURL() {
      StringBuffer url = super.getRequestURL();
      return new StringBuffer(url.substring(0, url.indexOf("/mcp/")) + "/mcp");
    }

    @Override
    public String getPathInfo() {
      return null;
    }
  }

  /** The request with its already-read body available again to the SDK. */
  private static final class CachedBodyRequest extends HttpServletRequestWrapper {
    private final byte[] body;

    CachedBodyRequest(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException();
        }

        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
          return in.read(b, off, len);
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }
  }

  /**
   * Lets the SDK's successful answers through untouched (SSE included) and holds back the body of
   * its error answers, which are replaced by a JSON-RPC error without internals.
   */
  private static final class SanitizingResponse extends HttpServletResponseWrapper {
    private final HttpServletResponse response;
    private ByteArrayOutputStream held;

    SanitizingResponse(HttpServletResponse response) {
      super(response);
      this.response = response;
    }

    private boolean holding() {
      if (held == null && response.getStatus() >= 400) {
        held = new ByteArrayOutputStream();
      }
      return held != null;
    }

    @Override
    public void sendError(int sc, String msg) {
      setStatus(sc);
      holding();
    }

    @Override
    public void sendError(int sc) {
      sendError(sc, null);
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      if (!holding()) {
        return response.getOutputStream();
      }
      return new ServletOutputStream() {
        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setWriteListener(WriteListener listener) {}

        @Override
        public void write(int b) {
          held.write(b);
        }
      };
    }

    @Override
    public PrintWriter getWriter() throws IOException {
      if (!holding()) {
        return response.getWriter();
      }
      return new PrintWriter(new java.io.OutputStreamWriter(held, StandardCharsets.UTF_8), true);
    }

    void finish() throws IOException {
      if (held == null || response.isCommitted()) {
        return;
      }
      int status = response.getStatus();
      String message = "the request was refused";
      try {
        JsonNode sdk = JSON.readTree(held.toByteArray());
        String m = sdk == null ? null : sdk.path("message").asText(sdk.path("error").path("message").asText(null));
        if (m != null && !m.isBlank()) {
          message = m.length() > 300 ? m.substring(0, 300) : m;
        }
      } catch (IOException | RuntimeException ignored) {
        // not JSON: keep the generic message
      }
      String code =
          switch (status) {
            case 404 -> "unknown_session";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "request_too_large";
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal_error" : "invalid_request";
          };
      int rpc = status == 404 ? -32001 : status >= 500 ? -32603 : -32600;
      response.resetBuffer();
      response.setContentType("application/json");
      response.setCharacterEncoding("UTF-8");
      response.getOutputStream().write(envelope(rpc, code, message));
    }
  }
}
