package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.mcp.McpJson;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A small real MCP server (the Java SDK on Jetty) for gateway tests: {@code write_note} changes
 * things (no annotations: durable through Gatehouse), {@code read_note} is read-only (direct).
 * {@link #failNextCalls} makes the next tools/call requests fail at the HTTP level (503), as an
 * upstream that is briefly down would; {@link #idempotencyKeys} records the keys calls carried,
 * {@link #sessionsEnded} counts the DELETEs that ended a session, {@link #probeTokens} the
 * credentials calls carried.
 */
final class NotesUpstream implements AutoCloseable {
  final Map<String, String> notes = new ConcurrentHashMap<>();
  final AtomicInteger failNextCalls = new AtomicInteger();
  final AtomicInteger writes = new AtomicInteger();
  final List<String> idempotencyKeys = new CopyOnWriteArrayList<>();
  final AtomicInteger sessionsEnded = new AtomicInteger();
  /** The {@code X-Probe-Token} header of each tools/call request that carried one, in order. */
  final List<String> probeTokens = new CopyOnWriteArrayList<>();
  /** Counts down when a {@code wait} call starts; such a call returns after {@code seconds}. */
  final java.util.concurrent.Semaphore waitStarted = new java.util.concurrent.Semaphore(0);
  private final Server jetty;
  private final McpSyncServer mcp;
  private final String url;

  NotesUpstream() throws Exception {
    this("127.0.0.1");
  }

  /** Listening on {@code host} (an address of this machine). */
  NotesUpstream(String host) throws Exception {
    var json = new JacksonMcpJsonMapper(new ObjectMapper());
    HttpServletStreamableServerTransportProvider transport =
        HttpServletStreamableServerTransportProvider.builder().jsonMapper(json).mcpEndpoint("/mcp").build();
    var schema =
        Map.<String, Object>of(
            "type", "object",
            "properties", Map.of("name", Map.of("type", "string", "minLength", 1), "text", Map.of("type", "string")),
            "required", List.of("name"));
    McpSchema.Tool write =
        McpSchema.Tool.builder().name("write_note").description("Stores a note").inputSchema(json, new ObjectMapper().writeValueAsString(schema)).build();
    McpSchema.Tool read =
        McpSchema.Tool.builder()
            .name("read_note")
            .description("Reads a note")
            .inputSchema(json, new ObjectMapper().writeValueAsString(schema))
            .annotations(new McpSchema.ToolAnnotations("Read a note", true, false, true, false, false))
            .build();
    mcp =
        McpServer.sync(transport)
            .jsonMapper(json)
            .jsonSchemaValidator(McpJson.PASS_THROUGH)
            .serverInfo("notes", "1.0.0")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(
                new SyncToolSpecification(
                    write,
                    (ex, req) -> {
                      writes.incrementAndGet();
                      Object key = req.meta() == null ? null : req.meta().get("dev.gatehouse/idempotency-key");
                      idempotencyKeys.add(String.valueOf(key));
                      notes.put(String.valueOf(req.arguments().get("name")), String.valueOf(req.arguments().get("text")));
                      return McpSchema.CallToolResult.builder().addTextContent("stored").isError(false).build();
                    }),
                new SyncToolSpecification(
                    McpSchema.Tool.builder()
                        .name("wait")
                        .description("Waits, then answers")
                        .inputSchema(json, "{\"type\":\"object\",\"properties\":{\"seconds\":{\"type\":\"number\"}}}")
                        .build(),
                    (ex, req) -> {
                      waitStarted.release();
                      try {
                        Thread.sleep((long) (Double.parseDouble(String.valueOf(req.arguments().get("seconds"))) * 1000));
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return McpSchema.CallToolResult.builder().addTextContent("waited").isError(false).build();
                    }),
                // A read-only tool whose schema refers to itself without end: checking arguments
                // against it recursed until the stack was gone (a probe hung calls for good so).
                new SyncToolSpecification(
                    McpSchema.Tool.builder()
                        .name("loop")
                        .description("Has a schema whose $ref never ends")
                        .inputSchema(json, "{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/properties/a\"}}}")
                        .annotations(new McpSchema.ToolAnnotations("Loop", true, false, true, false, false))
                        .build(),
                    (ex, req) -> McpSchema.CallToolResult.builder().addTextContent("ran").isError(false).build()),
                // The roots its client (Gatehouse's upstream session) gives when asked, one per line.
                new SyncToolSpecification(
                    McpSchema.Tool.builder()
                        .name("roots")
                        .description("Lists the client's roots")
                        .inputSchema(json, "{\"type\":\"object\"}")
                        .annotations(new McpSchema.ToolAnnotations("Roots", true, false, true, false, false))
                        .build(),
                    (ex, req) ->
                        McpSchema.CallToolResult.builder()
                            .addTextContent(String.join("\n", ex.listRoots().roots().stream().map(McpSchema.Root::uri).toList()))
                            .isError(false)
                            .build()),
                new SyncToolSpecification(
                    read,
                    (ex, req) ->
                        McpSchema.CallToolResult.builder()
                            .addTextContent(notes.getOrDefault(String.valueOf(req.arguments().get("name")), ""))
                            .isError(false)
                            .build()))
            .requestTimeout(Duration.ofSeconds(30))
            .build();
    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost(host);
    connector.setPort(0);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder holder = new ServletHolder("mcp", transport);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/mcp");
    Filter failing =
        (req, res, chain) -> {
          HttpServletRequest r = (HttpServletRequest) req;
          if ("POST".equals(r.getMethod())) {
            byte[] body = r.getInputStream().readAllBytes();
            boolean toolCall = new String(body, java.nio.charset.StandardCharsets.UTF_8).contains("\"tools/call\"");
            if (toolCall && r.getHeader("X-Probe-Token") != null) {
              probeTokens.add(r.getHeader("X-Probe-Token"));
            }
            if (toolCall && failNextCalls.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              ((HttpServletResponse) res).sendError(503);
              return;
            }
            chain.doFilter(new CachedRequest(r, body), res);
            return;
          }
          if ("DELETE".equals(r.getMethod())) {
            sessionsEnded.incrementAndGet();
          }
          chain.doFilter(req, res);
        };
    FilterHolder filter = new FilterHolder(failing);
    filter.setAsyncSupported(true);
    context.addFilter(filter, "/mcp", EnumSet.of(DispatcherType.REQUEST));
    jetty.setHandler(context);
    jetty.start();
    url = "http://" + host + ":" + connector.getLocalPort() + "/mcp";
  }

  String url() {
    return url;
  }

  /** Sends notifications/tools/list_changed to every connected client (on its GET stream). */
  void notifyToolsChanged() {
    mcp.notifyToolsListChanged();
  }

  @Override
  public void close() throws Exception {
    mcp.close();
    jetty.stop();
  }

  private static final class CachedRequest extends jakarta.servlet.http.HttpServletRequestWrapper {
    private final byte[] body;

    CachedRequest(HttpServletRequest r, byte[] body) {
      super(r);
      this.body = body;
    }

    @Override
    public jakarta.servlet.ServletInputStream getInputStream() {
      var in = new java.io.ByteArrayInputStream(body);
      return new jakarta.servlet.ServletInputStream() {
        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(jakarta.servlet.ReadListener l) {}

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
    public java.io.BufferedReader getReader() {
      return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
    }
  }
}
