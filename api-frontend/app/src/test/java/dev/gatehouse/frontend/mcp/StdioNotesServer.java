package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.mcp.McpJson;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.PrintStream;
import java.util.TreeSet;

/**
 * A real stdio MCP server (the Java SDK), started by Gatehouse as a child process in tests:
 * {@code whoami} answers its process id and the names of the environment variables it got;
 * {@code env} answers one variable's value, {@code env_length} its length; {@code noisy} first
 * writes a line that is not a message to stdout, quoting {@code TOKEN}, as a server printing its
 * configuration there would. All are read-only.
 */
public final class StdioNotesServer {
  private StdioNotesServer() {}

  public static void main(String[] args) throws Exception {
    // stdout is the protocol: nothing else may write there.
    PrintStream protocol = System.out;
    System.setOut(System.err);
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.OFF);
    var json = new JacksonMcpJsonMapper(new ObjectMapper());
    var readOnly = new McpSchema.ToolAnnotations(null, true, false, true, false, false);
    String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}";
    McpServer.sync(new StdioServerTransportProvider(json, System.in, protocol))
        .jsonMapper(json)
        .jsonSchemaValidator(McpJson.PASS_THROUGH)
        .serverInfo("stdio-notes", "1.0.0")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(
            new SyncToolSpecification(
                McpSchema.Tool.builder().name("whoami").description("pid and env names").inputSchema(json, schema).annotations(readOnly).build(),
                (ex, req) ->
                    McpSchema.CallToolResult.builder()
                        .addTextContent(ProcessHandle.current().pid() + " " + String.join(",", new TreeSet<>(System.getenv().keySet())))
                        .isError(false)
                        .build()),
            new SyncToolSpecification(
                McpSchema.Tool.builder().name("env").description("one variable").inputSchema(json, schema).annotations(readOnly).build(),
                (ex, req) -> {
                  Object name = req.arguments() == null ? null : req.arguments().get("name");
                  String value = name == null ? null : System.getenv(String.valueOf(name));
                  return McpSchema.CallToolResult.builder().addTextContent(String.valueOf(value)).isError(false).build();
                }),
            new SyncToolSpecification(
                McpSchema.Tool.builder().name("env_length").description("one variable's length").inputSchema(json, schema).annotations(readOnly).build(),
                (ex, req) -> {
                  Object name = req.arguments() == null ? null : req.arguments().get("name");
                  String value = name == null ? null : System.getenv(String.valueOf(name));
                  return McpSchema.CallToolResult.builder()
                      .addTextContent(String.valueOf(value == null ? -1 : value.length()))
                      .isError(false)
                      .build();
                }),
            new SyncToolSpecification(
                McpSchema.Tool.builder().name("noisy").description("a stray line on stdout").inputSchema(json, schema).annotations(readOnly).build(),
                (ex, req) -> {
                  synchronized (protocol) {
                    protocol.println("connecting with token " + System.getenv("TOKEN"));
                    protocol.flush();
                  }
                  return McpSchema.CallToolResult.builder().addTextContent("after the noise").isError(false).build();
                }))
        .build();
    // Ends with the JVM that started it, even one that died without closing it (a crashed test).
    ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
    if (parent == null) {
      Thread.currentThread().join();
    }
    parent.onExit().join();
    System.exit(0);
  }

}
