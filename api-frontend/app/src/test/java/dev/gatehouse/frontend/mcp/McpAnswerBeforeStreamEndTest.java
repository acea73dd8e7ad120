package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An MCP server answers a direct {@code tools/call} on an SSE stream and writes the stream's end
 * after the response, when it gets to it. The agent has its answer as soon as the response came,
 * not once the upstream also ended its stream; the gateway still reads the stream to its end
 * (after answering), so its upstream connection serves the next call. The upstream is a small
 * Streamable HTTP server written here, which holds a call's stream open until the test lets it end.
 */
class McpAnswerBeforeStreamEndTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static TestGatehouse gh;
  static HttpServer upstream;
  /** What the upstream did: "call N on port P" when it wrote call N's response, "ended N" before it ended the stream. */
  static final List<String> log = new CopyOnWriteArrayList<>();
  static volatile CountDownLatch release = new CountDownLatch(1);

  @BeforeAll
  static void start() throws Exception {
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.setExecutor(Executors.newCachedThreadPool());
    upstream.createContext("/mcp", McpAnswerBeforeStreamEndTest::serve);
    upstream.start();
    gh = TestGatehouse.start(c -> {});
    HttpResponse<String> created =
        gh.post(
            "/admin/v1/mcp-servers", ADMIN_KEY,
            "{\"name\":\"late\",\"transport\":\"streamable-http\",\"url\":\"http://127.0.0.1:"
                + upstream.getAddress().getPort() + "/mcp\",\"execution\":\"direct\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    if (gh != null) {
      gh.close();
    }
    release.countDown();
    upstream.stop(0);
  }

  static void serve(HttpExchange ex) throws IOException {
    try {
      if (!ex.getRequestMethod().equals("POST")) {
        ex.sendResponseHeaders(ex.getRequestMethod().equals("DELETE") ? 200 : 405, -1);
        return;
      }
      JsonNode msg = JSON.readTree(ex.getRequestBody());
      JsonNode id = msg.get("id");
      if (id == null) {
        ex.sendResponseHeaders(202, -1);
        return;
      }
      ObjectNode out = JSON.createObjectNode().put("jsonrpc", "2.0");
      out.set("id", id);
      switch (msg.path("method").asText()) {
        case "initialize" -> {
          ObjectNode r = out.putObject("result").put("protocolVersion", msg.path("params").path("protocolVersion").asText("2025-06-18"));
          r.putObject("capabilities").putObject("tools");
          r.putObject("serverInfo").put("name", "late").put("version", "1");
          ex.getResponseHeaders().add("Mcp-Session-Id", "s-1");
        }
        case "tools/list" -> {
          ObjectNode t = out.putObject("result").putArray("tools").addObject().put("name", "answer").put("description", "answers, then ends later");
          t.putObject("inputSchema").put("type", "object");
          t.putObject("annotations").put("readOnlyHint", true);
        }
        case "tools/call" -> {
          String n = msg.path("params").path("arguments").path("n").asText();
          ObjectNode r = out.putObject("result").put("isError", false);
          r.putArray("content").addObject().put("type", "text").put("text", "answer " + n);
          ex.getResponseHeaders().add("Content-Type", "text/event-stream");
          ex.sendResponseHeaders(200, 0);
          OutputStream body = ex.getResponseBody();
          body.write(("event: message\ndata: " + out + "\n\n").getBytes(StandardCharsets.UTF_8));
          body.flush();
          log.add("call " + n + " on port " + ex.getRemoteAddress().getPort());
          if (release.await(10, TimeUnit.SECONDS)) {
            log.add("ended " + n);
          }
          return; // close() writes the stream's end
        }
        default -> out.putObject("result");
      }
      byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, bytes.length);
      ex.getResponseBody().write(bytes);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ex.close();
    }
  }

  @Test
  void theAgentHasItsAnswerBeforeTheUpstreamEndsItsStream() throws Exception {
    try (McpSyncClient client = McpGatewayTest.client(gh, KEY_A, "/mcp")) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (client.listTools().tools().stream().noneMatch(t -> t.name().equals("late.answer"))) {
        assertThat(System.nanoTime()).as("late.answer discovered").isLessThan(deadline);
        Thread.sleep(100);
      }

      McpSchema.CallToolResult first = client.callTool(new McpSchema.CallToolRequest("late.answer", Map.of("n", 1)));
      assertThat(((McpSchema.TextContent) first.content().get(0)).text()).isEqualTo("answer 1");
      assertThat(log).as("the upstream still holds call 1's stream").noneMatch(l -> l.startsWith("ended"));

      // Let the stream end: the gateway reads it to its end and keeps the connection.
      release.countDown();
      awaitLog("ended 1");
      Thread.sleep(1000); // the gateway's read of the end follows the upstream's write of it at once: a generous margin
      McpSchema.CallToolResult second = client.callTool(new McpSchema.CallToolRequest("late.answer", Map.of("n", 2)));
      assertThat(((McpSchema.TextContent) second.content().get(0)).text()).isEqualTo("answer 2");
      awaitLog("ended 2");
      String firstPort = port(log, 1);
      assertThat(port(log, 2)).as("call 1's upstream connection served call 2").isEqualTo(firstPort);
    }
  }

  private static String port(List<String> log, int call) {
    String prefix = "call " + call + " on port ";
    return log.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length());
  }

  private static void awaitLog(String line) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!log.contains(line)) {
      assertThat(System.nanoTime()).as(line + " within 10 s").isLessThan(until);
      Thread.sleep(10);
    }
  }
}
