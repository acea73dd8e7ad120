package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An MCP upstream that echoes the credentials it was sent in everything it says on its own, not
 * only in its results: its JSON-RPC errors (a tool call's, a prompt's, its {@code initialize}'s),
 * its log notifications, its tool descriptions and schemas, and member names of its results. None
 * of it reaches the agent, a tenant admin or the log with the secret in it. The upstream is a
 * small Streamable HTTP server written here (JSON answers, one SSE answer for the notification),
 * so that it can echo the header it received.
 */
class McpUpstreamEchoesSecretsTest {
  static final String SECRET = "echo_KEY/9f8e+7d6c_SECRET";
  static final ObjectMapper JSON = new ObjectMapper();

  static TestGatehouse gh;
  static HttpServer upstream;
  static final List<String> received = new CopyOnWriteArrayList<>();
  static ListAppender<ILoggingEvent> logs;

  @BeforeAll
  static void start() throws Exception {
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.createContext("/mcp", ex -> serve(ex, false));
    upstream.createContext("/initerr", ex -> serve(ex, true));
    upstream.start();
    String base = "http://127.0.0.1:" + upstream.getAddress().getPort();

    gh = TestGatehouse.start(c -> c.getMcp().setHealthInterval(io.dropwizard.util.Duration.milliseconds(300)));
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    assertThat(gh.put("/admin/v1/secrets/ECHO_KEY", ADMIN_KEY, "{\"value\":\"" + SECRET + "\"}").statusCode()).isEqualTo(200);
    for (String[] s : List.of(new String[] {"echoer", base + "/mcp"}, new String[] {"initerr", base + "/initerr"})) {
      HttpResponse<String> created =
          gh.post(
              "/admin/v1/mcp-servers", ADMIN_KEY,
              "{\"name\":\"" + s[0] + "\",\"transport\":\"streamable-http\",\"url\":\"" + s[1] + "\","
                  + "\"headers\":{\"X-Api-Key\":\"{{secret:ECHO_KEY}}\"},\"execution\":\"direct\"}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }
  }

  @AfterAll
  static void stop() {
    gh.close();
    upstream.stop(0);
  }

  /** The upstream: answers with what it was sent in X-Api-Key wherever it can. */
  static void serve(HttpExchange ex, boolean refuseInitialize) throws IOException {
    String key = String.valueOf(ex.getRequestHeaders().getFirst("X-Api-Key"));
    received.add(key);
    if (!ex.getRequestMethod().equals("POST")) {
      ex.sendResponseHeaders(ex.getRequestMethod().equals("DELETE") ? 200 : 405, -1);
      ex.close();
      return;
    }
    JsonNode msg = JSON.readTree(ex.getRequestBody());
    JsonNode id = msg.get("id");
    if (id == null) {
      ex.sendResponseHeaders(202, -1);
      ex.close();
      return;
    }
    ObjectNode out = JSON.createObjectNode().put("jsonrpc", "2.0");
    out.set("id", id);
    String method = msg.path("method").asText();
    String tool = msg.path("params").path("name").asText();
    switch (method) {
      case "initialize" -> {
        if (refuseInitialize) {
          error(out, -32600, "refusing key " + key);
        } else {
          ObjectNode r = out.putObject("result").put("protocolVersion", msg.path("params").path("protocolVersion").asText("2025-06-18"));
          ObjectNode caps = r.putObject("capabilities");
          caps.putObject("tools");
          caps.putObject("prompts");
          caps.putObject("logging");
          r.putObject("serverInfo").put("name", "echoer " + key).put("version", "1");
          ex.getResponseHeaders().add("Mcp-Session-Id", "s-1");
        }
      }
      case "tools/list" -> {
        var tools = out.putObject("result").putArray("tools");
        for (String name : List.of("fail", "keyname", "notify")) {
          ObjectNode t = tools.addObject().put("name", name).put("description", "uses key " + key);
          ObjectNode schema = t.putObject("inputSchema").put("type", "object");
          schema.putObject("properties").putObject(key).put("type", "string");
        }
      }
      case "prompts/list" -> out.putObject("result").putArray("prompts").addObject().put("name", "perr").put("description", "a prompt");
      case "prompts/get" -> error(out, -32602, "no prompt for key " + key);
      case "tools/call" -> {
        switch (tool) {
          case "fail" -> ((ObjectNode) error(out, -32602, "invalid key " + key).get("error")).putObject("data").put("seen", key);
          case "keyname" -> {
            ObjectNode r = out.putObject("result").put("isError", false);
            r.putArray("content").addObject().put("type", "text").put("text", "ok");
            r.putObject("structuredContent").put(key, 1);
          }
          default -> { // notify: a log notification, then the result, on an SSE answer
            ObjectNode note = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/message");
            note.putObject("params").put("level", "info").put("logger", "echoer").put("data", "working with key " + key);
            ObjectNode r = out.putObject("result").put("isError", false);
            r.putArray("content").addObject().put("type", "text").put("text", "done");
            byte[] sse = ("event: message\ndata: " + note + "\n\nevent: message\ndata: " + out + "\n\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, sse.length);
            ex.getResponseBody().write(sse);
            ex.close();
            return;
          }
        }
      }
      default -> out.putObject("result");
    }
    byte[] body = out.toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    ex.getResponseBody().write(body);
    ex.close();
  }

  private static ObjectNode error(ObjectNode out, int code, String message) {
    out.putObject("error").put("code", code).put("message", message);
    return out;
  }

  /** The loggers' levels of the shipped dev configuration (the tests' own logging has none of them). */
  private static Map<String, ch.qos.logback.classic.Level> shippedLevels() throws IOException {
    Map<String, ch.qos.logback.classic.Level> levels = new java.util.HashMap<>();
    try (var in = McpUpstreamEchoesSecretsTest.class.getClassLoader().getResourceAsStream("gatehouse-dev.yml")) {
      JsonNode loggers = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(in).path("logging").path("loggers");
      loggers.properties().forEach(
          f -> levels.put(f.getKey(), ch.qos.logback.classic.Level.toLevel(f.getValue().isTextual() ? f.getValue().asText() : f.getValue().path("level").asText())));
    }
    return levels;
  }

  /** Whether the shipped configuration would log {@code e}: its level against the nearest configured logger's. */
  private static boolean logged(Map<String, ch.qos.logback.classic.Level> shipped, ILoggingEvent e) {
    for (String name = e.getLoggerName(); !name.isEmpty(); name = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : "") {
      ch.qos.logback.classic.Level level = shipped.get(name);
      if (level != null) {
        return e.getLevel().isGreaterOrEqual(level);
      }
    }
    return true;
  }

  private static McpSyncClient agent(List<McpSchema.LoggingMessageNotification> logged) throws Exception {
    McpSyncClient client = McpGatewayTest.client(gh, KEY_A, "/mcp", spec -> spec.loggingConsumer(logged::add));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (client.listTools().tools().stream().noneMatch(t -> t.name().equals("echoer.notify"))) {
      assertThat(System.nanoTime()).as("echoer discovered").isLessThan(deadline);
      Thread.sleep(100);
    }
    return client;
  }

  @Test
  void whatTheUpstreamSaysOnItsOwnReachesNobodyWithItsSecret() throws Exception {
    List<McpSchema.LoggingMessageNotification> logged = new CopyOnWriteArrayList<>();
    try (McpSyncClient client = agent(logged)) {
      StringBuilder seen = new StringBuilder();

      // its catalog: descriptions and schemas, property names included
      McpSchema.Tool fail = client.listTools().tools().stream().filter(t -> t.name().equals("echoer.fail")).findFirst().orElseThrow();
      assertThat(fail.description()).isEqualTo("uses key [redacted]");
      seen.append(McpJson.MAPPER.writeValueAsString(client.listTools()));

      // a tool call's JSON-RPC error
      McpSchema.CallToolResult failed = client.callTool(new McpSchema.CallToolRequest("echoer.fail", Map.of()));
      assertThat(failed.isError()).isTrue();
      String text = ((McpSchema.TextContent) failed.content().get(0)).text();
      assertThat(text).contains("invalid key [redacted]");
      seen.append(text);

      // a member named with it
      McpSchema.CallToolResult named = client.callTool(new McpSchema.CallToolRequest("echoer.keyname", Map.of()));
      assertThat(named.isError()).isFalse();
      assertThat(named.structuredContent().toString()).contains("[redacted]");
      seen.append(named.structuredContent());

      // a log notification during a call
      McpSchema.CallToolResult notified = client.callTool(new McpSchema.CallToolRequest("echoer.notify", Map.of()));
      assertThat(notified.isError()).isFalse();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (logged.stream().noneMatch(n -> String.valueOf(n.data()).startsWith("working with key"))) {
        assertThat(System.nanoTime()).as("the upstream's log notification relayed").isLessThan(deadline);
        Thread.sleep(50);
      }
      seen.append(logged);
      assertThat(logged.stream().map(n -> String.valueOf(n.data()))).contains("working with key [redacted]");

      // a prompt's JSON-RPC error, passed through as the upstream's
      assertThatThrownBy(() -> client.getPrompt(new McpSchema.GetPromptRequest("echoer.perr", Map.of())))
          .isInstanceOfSatisfying(McpError.class, e -> {
            assertThat(e.getMessage()).contains("no prompt for key [redacted]");
            seen.append(e.getMessage());
          });

      // an initialize refused: the server's status, which a tenant admin reads too
      deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      JsonNode status;
      do {
        Thread.sleep(100);
        status = json(gh.get("/admin/v1/mcp-servers/initerr", ADMIN_KEY)).get("status");
        assertThat(System.nanoTime()).as("initerr checked").isLessThan(deadline);
      } while (!status.path("state").asText().equals("down"));
      assertThat(status.get("error").asText()).contains("refusing key [redacted]");
      seen.append(status);

      assertThat(received).as("the upstream did get the secret").contains(SECRET);
      Map<String, ch.qos.logback.classic.Level> shipped = shippedLevels();
      for (ILoggingEvent e : logs.list) {
        if (logged(shipped, e)) {
          seen.append(e.getLoggerName()).append(": ").append(e.getFormattedMessage()).append('\n');
        }
      }
      assertThat(seen.toString()).doesNotContain(SECRET).doesNotContain("9f8e+7d6c");
    }
  }
}
