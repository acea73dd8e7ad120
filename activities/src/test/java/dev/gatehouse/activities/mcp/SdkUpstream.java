package dev.gatehouse.activities.mcp;

import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A small real MCP server for tests: the Java SDK's Streamable HTTP servlet transport on Jetty,
 * on loopback. {@code write_note} and {@code read_note} keep notes; {@code work} reports progress
 * (to the progress token its request carried) before it answers; {@code slow} sleeps first.
 */
final class SdkUpstream implements AutoCloseable {
  private final Map<String, String> notes = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger slowCalls = new java.util.concurrent.atomic.AtomicInteger();
  private final Server jetty;
  private final McpSyncServer mcp;
  private final String url;

  SdkUpstream() throws Exception {
    HttpServletStreamableServerTransportProvider transport =
        HttpServletStreamableServerTransportProvider.builder().jsonMapper(McpJson.MAPPER).mcpEndpoint("/mcp").build();
    String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"text\":{\"type\":\"string\"}}}";
    mcp =
        McpServer.sync(transport)
            .jsonMapper(McpJson.MAPPER)
            .jsonSchemaValidator(McpJson.PASS_THROUGH)
            .serverInfo("notes", "1.0.0")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(
                new SyncToolSpecification(
                    McpSchema.Tool.builder().name("write_note").inputSchema(McpJson.MAPPER, schema).build(),
                    (ex, req) -> {
                      notes.put(String.valueOf(req.arguments().get("name")), String.valueOf(req.arguments().get("text")));
                      return McpSchema.CallToolResult.builder().addTextContent("stored").isError(false).build();
                    }),
                new SyncToolSpecification(
                    McpSchema.Tool.builder().name("read_note").inputSchema(McpJson.MAPPER, schema).build(),
                    (ex, req) ->
                        McpSchema.CallToolResult.builder()
                            .addTextContent(notes.getOrDefault(String.valueOf(req.arguments().get("name")), ""))
                            .isError(false)
                            .build()),
                new SyncToolSpecification(
                    McpSchema.Tool.builder().name("slow").inputSchema(McpJson.MAPPER, "{\"type\":\"object\"}").build(),
                    (ex, req) -> {
                      slowCalls.incrementAndGet();
                      try {
                        Thread.sleep(((Number) req.arguments().getOrDefault("ms", 1000)).longValue());
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return McpSchema.CallToolResult.builder().addTextContent("slept").isError(false).build();
                    }),
                new SyncToolSpecification(
                    McpSchema.Tool.builder().name("work").inputSchema(McpJson.MAPPER, "{\"type\":\"object\"}").build(),
                    (ex, req) -> {
                      Object token = req.meta() == null ? null : req.meta().get("progressToken");
                      if (token != null) {
                        ex.progressNotification(new McpSchema.ProgressNotification(token, 0.5, 1.0, "half way"));
                      }
                      return McpSchema.CallToolResult.builder().addTextContent("worked").isError(false).build();
                    }))
            .build();
    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    ServletHolder holder = new ServletHolder("mcp", transport);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/mcp");
    jetty.setHandler(context);
    jetty.start();
    url = "http://127.0.0.1:" + connector.getLocalPort() + "/mcp";
  }

  String url() {
    return url;
  }

  /** How many calls of {@code slow} (which sleeps {@code ms}, 1,000 by default) have begun. */
  int slowCalls() {
    return slowCalls.get();
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
}
