package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.gatehouse.activities.http.AfterAnswer;
import dev.gatehouse.activities.http.BlockingHttp;
import com.sun.net.httpserver.HttpServer;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Gatehouse's own Streamable HTTP client transport: against the SDK's server (initialize,
 * tools/call, a notification on the GET stream, DELETE on close), and against a server that ends
 * a tools/call's SSE stream after the priming event and answers on the resumption GET; a request
 * sent past the SDK client, answered or given up on. (Moved here from api-frontend's
 * McpStreamableTransportTest: it needs only this module, the SDK and Jetty.)
 */
class StreamableHttpClientTransportTest {
  /** 60,000 characters, two and three bytes each in UTF-8 among one-byte ones. */
  private static final String BIG_TEXT = "a\u00e9\u20acz".repeat(15_000);


  private static McpAsyncClient client(String url, Map<String, String> headers, Runnable toolsChanged) {
    return McpClient.async(StreamableHttpClientTransport.builder(url).headers(headers).jsonMapper(McpJson.MAPPER).build())
        .clientInfo(new McpSchema.Implementation("t", "1"))
        .jsonSchemaValidator(McpJson.PASS_THROUGH)
        .requestTimeout(Duration.ofSeconds(10))
        .toolsChangeConsumer(tools -> Mono.fromRunnable(toolsChanged))
        .build();
  }

  @Test
  void againstTheSdkServer() throws Exception {
    try (SdkUpstream upstream = new SdkUpstream()) {
      CountDownLatch changed = new CountDownLatch(1);
      McpAsyncClient client = client(upstream.url(), Map.of("X-Test", "1"), changed::countDown);
      McpSchema.InitializeResult init = client.initialize().block(Duration.ofSeconds(10));
      assertThat(init.serverInfo().name()).isEqualTo("notes");
      assertThat(client.listTools().block(Duration.ofSeconds(10)).tools()).extracting(McpSchema.Tool::name).contains("write_note");
      McpSchema.CallToolResult written =
          client.callTool(new McpSchema.CallToolRequest("write_note", Map.of("name", "a", "text", "hello"))).block(Duration.ofSeconds(10));
      assertThat(((McpSchema.TextContent) written.content().get(0)).text()).isEqualTo("stored");
      McpSchema.CallToolResult read =
          client.callTool(new McpSchema.CallToolRequest("read_note", Map.of("name", "a"))).block(Duration.ofSeconds(10));
      assertThat(((McpSchema.TextContent) read.content().get(0)).text()).isEqualTo("hello");
      // the GET stream opens after notifications/initialized; give it a moment, then notify
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (changed.getCount() > 0 && System.nanoTime() < end) {
        upstream.notifyToolsChanged();
        changed.await(200, TimeUnit.MILLISECONDS);
      }
      assertThat(changed.getCount()).as("tools/list_changed arrived on the GET stream").isZero();
      client.closeGracefully().block(Duration.ofSeconds(5));
    }
  }

  /** The conformance suite's sse-retry scenario, in small. */
  @Test
  void resumesARequestStreamTheServerEndsBeforeTheResponse() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    long[] primedAt = new long[1];
    long[] resumedAt = new long[1];
    String[] pendingId = new String[1];
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/mcp",
        ex -> {
          try {
            String method = ex.getRequestMethod();
            String session = ex.getRequestHeaders().getFirst("Mcp-Session-Id");
            String version = ex.getRequestHeaders().getFirst("MCP-Protocol-Version");
            String lastId = ex.getRequestHeaders().getFirst("Last-Event-ID");
            if (method.equals("POST")) {
              JsonNode msg = McpJson.OBJECT_MAPPER.readTree(ex.getRequestBody().readAllBytes());
              String rpc = msg.path("method").asText();
              log.add("POST " + rpc + " session=" + session + " version=" + version + " secret=" + ex.getRequestHeaders().getFirst("Authorization"));
              if (!msg.has("id")) {
                ex.sendResponseHeaders(202, -1);
              } else if (rpc.equals("initialize")) {
                ex.getResponseHeaders().add("Mcp-Session-Id", "s1");
                json(ex, "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":{\"protocolVersion\":\"2025-11-25\","
                    + "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"resume\",\"version\":\"1\"}}}");
              } else if (rpc.equals("tools/call")) {
                pendingId[0] = msg.get("id").toString();
                ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                  out.write("id: e1\nretry: 300\ndata: \n\n".getBytes(StandardCharsets.UTF_8));
                }
                primedAt[0] = System.nanoTime();
              } else {
                json(ex, "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":{}}");
              }
            } else if (method.equals("GET")) {
              log.add("GET session=" + session + " version=" + version + " last=" + lastId);
              if ("e1".equals(lastId) && pendingId[0] != null) {
                resumedAt[0] = System.nanoTime();
                ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                  out.write(("id: e2\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + pendingId[0]
                      + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"resumed\"}],\"isError\":false}}\n\n")
                      .getBytes(StandardCharsets.UTF_8));
                }
              } else {
                ex.sendResponseHeaders(405, -1);
              }
            } else {
              log.add(method + " session=" + session);
              ex.sendResponseHeaders(200, -1);
            }
          } finally {
            ex.close();
          }
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
      McpAsyncClient client = client(url, Map.of("Authorization", "Bearer sekret"), () -> {});
      client.initialize().block(Duration.ofSeconds(10));
      McpSchema.CallToolResult result =
          client.callTool(new McpSchema.CallToolRequest("slow", Map.of())).block(Duration.ofSeconds(10));
      assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("resumed");
      assertThat(TimeUnit.NANOSECONDS.toMillis(resumedAt[0] - primedAt[0])).as("waited the retry delay").isGreaterThanOrEqualTo(250);
      client.closeGracefully().block(Duration.ofSeconds(5));
      assertThat(log).contains(
          "POST initialize session=null version=null secret=Bearer sekret",
          "POST notifications/initialized session=s1 version=2025-11-25 secret=Bearer sekret",
          "POST tools/call session=s1 version=2025-11-25 secret=Bearer sekret",
          "GET session=s1 version=2025-11-25 last=null",
          "GET session=s1 version=2025-11-25 last=e1",
          "DELETE session=s1");
    } finally {
      server.stop(0);
    }
  }

  /**
   * A request sent past the SDK client ({@code call}): its response comes back as JSON; one its
   * caller gives up on (its cancel signal, its thread interrupted through {@link
   * BlockingHttp#interrupt}, or its timeout) is cancelled upstream with {@code
   * notifications/cancelled} naming its id, and its stream is not resumed.
   */
  @Test
  void aDirectRequestItsCallerGivesUpOnIsCancelledUpstream() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    CountDownLatch cancelled = new CountDownLatch(1);
    Set<String> cancelledIds = ConcurrentHashMap.newKeySet();
    String[] heldId = new String[1];
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.createContext(
        "/mcp",
        ex -> {
          try {
            if (!ex.getRequestMethod().equals("POST")) {
              log.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Last-Event-ID"));
              ex.sendResponseHeaders(ex.getRequestMethod().equals("GET") ? 405 : 200, -1);
              return;
            }
            JsonNode msg = McpJson.OBJECT_MAPPER.readTree(ex.getRequestBody().readAllBytes());
            String rpc = msg.path("method").asText();
            log.add("POST " + rpc + " " + msg.path("params").path("requestId").asText(""));
            if (rpc.equals("notifications/cancelled")) {
              cancelledIds.add(msg.path("params").path("requestId").asText());
              cancelled.countDown();
            }
            if (!msg.has("id")) {
              ex.sendResponseHeaders(202, -1);
            } else if (rpc.equals("initialize")) {
              ex.getResponseHeaders().add("Mcp-Session-Id", "s1");
              json(ex, "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":{\"protocolVersion\":\"2025-11-25\","
                  + "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"held\",\"version\":\"1\"}}}");
            } else if (msg.path("params").path("name").asText().equals("big")) {
              // An SSE answer many times the size of one read, multi-byte characters across its reads.
              ex.getResponseHeaders().add("Content-Type", "text/event-stream");
              ex.sendResponseHeaders(200, 0);
              try (OutputStream out = ex.getResponseBody()) {
                out.write(("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id")
                        + ",\"result\":{\"content\":[],\"text\":\"" + BIG_TEXT + "\"}}\n\n")
                    .getBytes(StandardCharsets.UTF_8));
              }
            } else if (msg.path("params").path("name").asText().equals("quick")) {
              json(ex, "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":{\"content\":[],\"echo\":"
                  + msg.path("params").path("arguments") + "}}");
            } else {
              heldId[0] = msg.get("id").asText();
              ex.getResponseHeaders().add("Content-Type", "text/event-stream");
              ex.sendResponseHeaders(200, 0);
              OutputStream out = ex.getResponseBody();
              out.write("id: h1\nretry: 100\ndata: \n\n".getBytes(StandardCharsets.UTF_8));
              out.flush();
              String id = heldId[0];
              long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
              while (!cancelledIds.contains(id) && System.nanoTime() < until) {
                Thread.sleep(10); // hold the stream until the client cancels this request
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            ex.close();
          }
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
      StreamableHttpClientTransport transport = StreamableHttpClientTransport.builder(url).jsonMapper(McpJson.MAPPER).build();
      McpAsyncClient client =
          McpClient.async(transport).clientInfo(new McpSchema.Implementation("t", "1")).jsonSchemaValidator(McpJson.PASS_THROUGH).build();
      assertThat(transport.ready()).isFalse();
      client.initialize().block(Duration.ofSeconds(10));
      assertThat(transport.ready()).isTrue();

      var args = McpJson.OBJECT_MAPPER.createObjectNode().put("n", 7);
      JsonNode quick =
          transport.call(
              "tools/call",
              McpJson.OBJECT_MAPPER.createObjectNode().put("name", "quick").set("arguments", args),
              Duration.ofSeconds(5),
              Mono.never());
      assertThat(quick.path("result").path("echo").path("n").asInt()).isEqualTo(7);
      JsonNode big =
          transport.call("tools/call", McpJson.OBJECT_MAPPER.createObjectNode().put("name", "big"), Duration.ofSeconds(5), Mono.never());
      assertThat(big.path("result").path("text").asText()).isEqualTo(BIG_TEXT);

      JsonNode gaveUp =
          transport.call(
              "tools/call",
              McpJson.OBJECT_MAPPER.createObjectNode().put("name", "held"),
              Duration.ofSeconds(5),
              Mono.delay(Duration.ofMillis(300)));
      assertThat(gaveUp).isNull();
      assertThat(cancelled.await(5, TimeUnit.SECONDS)).as("notifications/cancelled reached the server").isTrue();
      assertThat(log).contains("POST notifications/cancelled " + heldId[0]);
      Thread.sleep(500); // longer than retry: 100 ms; an abandoned stream is not resumed
      assertThat(log).doesNotContain("GET h1").filteredOn(l -> l.startsWith("POST tools/call")).hasSize(3);

      // An activity told to stop interrupts its thread through BlockingHttp: the blocked call ends.
      Thread caller = Thread.currentThread();
      var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
      try {
        timer.schedule(() -> BlockingHttp.interrupt(caller), 300, TimeUnit.MILLISECONDS);
        JsonNode interrupted =
            transport.call("tools/call", McpJson.OBJECT_MAPPER.createObjectNode().put("name", "held"), Duration.ofSeconds(5), Mono.never());
        assertThat(Thread.interrupted()).as("the interrupt stays for the caller to see").isTrue();
        assertThat(interrupted).isNull();
      } finally {
        timer.shutdownNow();
      }
      String interruptedId = heldId[0];
      awaitCondition(() -> cancelledIds.contains(interruptedId));

      // No answer within the call's timeout: TimedOut, and cancelled upstream too.
      assertThatThrownBy(
              () -> transport.call("tools/call", McpJson.OBJECT_MAPPER.createObjectNode().put("name", "held"), Duration.ofMillis(300), Mono.never()))
          .isInstanceOf(StreamableHttpClientTransport.TimedOut.class)
          .hasMessage("the MCP server did not answer within 300 ms");
      String timedOutId = heldId[0];
      assertThat(timedOutId).isNotEqualTo(interruptedId);
      awaitCondition(() -> cancelledIds.contains(timedOutId));
      client.closeGracefully().block(Duration.ofSeconds(5));
    } finally {
      server.stop(0);
    }
  }

  /**
   * A direct request answered on an SSE stream: with an {@link AfterAnswer} scope open, the call
   * returns once the response came, while the server still holds the stream, and closing the
   * scope reads the stream to its end, so its connection serves the next call. Without a scope the
   * call returns only once the stream ended, as before. A stream the server does not end is cut
   * after the grace: closing the scope does not wait for the server, and the next call connects
   * again. When every place for deferred work is taken ({@link AfterAnswer#MAX_SCOPES_WITH_WORK}),
   * a call in a scope reads the end before it returns.
   */
  @Test
  void aResponseOnAStreamIsReturnedBeforeTheStreamEnds() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    List<Integer> ports = new CopyOnWriteArrayList<>();
    CountDownLatch[] release = {new CountDownLatch(1)};
    HttpServer server =
        server(
            "late-end",
            (ex, msg) -> {
              String call = msg.path("params").path("arguments").path("n").asText();
              ports.add(ex.getRemoteAddress().getPort());
              ex.getResponseHeaders().add("Content-Type", "text/event-stream");
              ex.sendResponseHeaders(200, 0);
              OutputStream out = ex.getResponseBody();
              out.write(("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id")
                      + ",\"result\":{\"content\":[],\"n\":" + call + "}}\n\n")
                  .getBytes(StandardCharsets.UTF_8));
              out.flush();
              // the stream's end is written only once the test lets it (or 10 s passed)
              if (release[0].await(10, TimeUnit.SECONDS)) {
                log.add("ending " + call);
              }
            });
    server.start();
    var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
      StreamableHttpClientTransport transport = StreamableHttpClientTransport.builder(url).jsonMapper(McpJson.MAPPER).build();
      McpAsyncClient client =
          McpClient.async(transport).clientInfo(new McpSchema.Implementation("t", "1")).jsonSchemaValidator(McpJson.PASS_THROUGH).build();
      client.initialize().block(Duration.ofSeconds(10));
      java.util.function.IntFunction<JsonNode> params =
          n -> McpJson.OBJECT_MAPPER.createObjectNode().put("name", "late").set("arguments", McpJson.OBJECT_MAPPER.createObjectNode().put("n", n));

      // 1. In a scope: the answer first, the stream's end when the scope closes.
      try (AfterAnswer scope = AfterAnswer.open()) {
        JsonNode first = transport.call("tools/call", params.apply(1), Duration.ofSeconds(5), Mono.never());
        assertThat(first.path("result").path("n").asInt()).isEqualTo(1);
        assertThat(log).as("the server still holds the stream").doesNotContain("ending 1");
        release[0].countDown();
      }
      assertThat(log).as("closing the scope read the stream to its end").contains("ending 1");

      // 2. No scope: the call reads the stream to its end before it returns; the connection of call 1 serves it.
      release[0] = new CountDownLatch(1);
      CountDownLatch second = release[0];
      timer.schedule(second::countDown, 100, TimeUnit.MILLISECONDS);
      JsonNode answer = transport.call("tools/call", params.apply(2), Duration.ofSeconds(5), Mono.never());
      assertThat(answer.path("result").path("n").asInt()).isEqualTo(2);
      assertThat(log).as("the call returned after the stream's end").contains("ending 2");
      assertThat(ports.get(1)).as("call 1's connection went back to the pool").isEqualTo(ports.get(0));

      // 3. A stream the server never ends: cut after the grace, not waited for.
      release[0] = new CountDownLatch(1);
      try (AfterAnswer scope = AfterAnswer.open()) {
        JsonNode third = transport.call("tools/call", params.apply(3), Duration.ofSeconds(5), Mono.never());
        assertThat(third.path("result").path("n").asInt()).isEqualTo(3);
      }
      assertThat(log).as("the scope closed while the server held the stream").doesNotContain("ending 3");
      release[0].countDown();
      JsonNode fourth;
      release[0] = new CountDownLatch(1);
      try (AfterAnswer scope = AfterAnswer.open()) {
        fourth = transport.call("tools/call", params.apply(4), Duration.ofSeconds(5), Mono.never());
        release[0].countDown();
      }
      assertThat(fourth.path("result").path("n").asInt()).isEqualTo(4);
      assertThat(ports.get(3)).as("call 3's connection was closed, not reused").isNotEqualTo(ports.get(2));

      // 5. In a scope while every place for deferred work is taken: the call reads the stream to
      // its end before it returns, as without a scope.
      java.util.Deque<AfterAnswer> taken = new java.util.ArrayDeque<>();
      try {
        for (int i = 0; i < AfterAnswer.MAX_SCOPES_WITH_WORK; i++) {
          taken.push(AfterAnswer.open());
          assertThat(AfterAnswer.defer(() -> {})).isTrue();
        }
        release[0] = new CountDownLatch(1);
        CountDownLatch fifth = release[0];
        timer.schedule(fifth::countDown, 100, TimeUnit.MILLISECONDS);
        try (AfterAnswer scope = AfterAnswer.open()) {
          JsonNode answer5 = transport.call("tools/call", params.apply(5), Duration.ofSeconds(5), Mono.never());
          assertThat(answer5.path("result").path("n").asInt()).isEqualTo(5);
          assertThat(log).as("no place was free: the call returned after the stream's end").contains("ending 5");
        }
      } finally {
        while (!taken.isEmpty()) {
          taken.pop().close();
        }
      }
      client.closeGracefully().block(Duration.ofSeconds(5));
    } finally {
      timer.shutdownNow();
      server.stop(0);
    }
  }

  /**
   * A direct request's response over the caller's cap (UTF-8, the whole message), or one that
   * cannot be read (nested past Jackson's limit, or more JSON tokens than Gatehouse reads of one
   * message), fails the call at once, as an SSE event or as a
   * JSON body: a probe's deeply nested answer had held its call until its timeout. The session
   * stands after either.
   */
  @Test
  void aResponseOverTheCapOrUnreadableFailsTheRequestAtOnce() throws Exception {
    String deep = "[".repeat(2_000) + "]".repeat(2_000);
    HttpServer server =
        server(
            "answers",
            (ex, msg) -> {
              String name = msg.path("params").path("name").asText();
              String result =
                  switch (name) {
                    case "big-sse", "big-json" -> "{\"content\":[],\"text\":\"" + BIG_TEXT + "\"}";
                    case "deep-sse", "deep-json" -> "{\"content\":[],\"deep\":" + deep + "}";
                    case "wide-sse", "wide-json" -> "{\"content\":[],\"wide\":[" + "[],".repeat(500_000) + "[]]}";
                    case "wide-but-fewer" -> "{\"content\":[],\"wide\":[" + "[],".repeat(499_000) + "[]]}";
                    default -> "{\"content\":[],\"ok\":true}";
                  };
              String answer = "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":" + result + "}";
              if (name.endsWith("-json")) {
                json(ex, answer);
              } else if (name.equals("loud")) {
                // a log message over the cap before a small answer: not the answer, so not refused
                ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                  out.write(("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\","
                      + "\"data\":\"" + BIG_TEXT + "\"}}\n\nevent: message\ndata: " + answer + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
              } else {
                ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                  out.write(("event: message\ndata: " + answer + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
              }
            });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
      StreamableHttpClientTransport transport = StreamableHttpClientTransport.builder(url).jsonMapper(McpJson.MAPPER).build();
      McpAsyncClient client =
          McpClient.async(transport).clientInfo(new McpSchema.Implementation("t", "1")).jsonSchemaValidator(McpJson.PASS_THROUGH).build();
      client.initialize().block(Duration.ofSeconds(10));
      // BIG_TEXT: 60,000 characters, 105,000 bytes; the cap sits between the two.
      int cap = 100_000;
      for (String name : List.of("big-sse", "big-json")) {
        assertThatThrownBy(() -> call(transport, name, cap))
            .as(name)
            .isInstanceOfSatisfying(McpAnswerRefusedException.class, e -> assertThat(e.tooLarge()).isTrue())
            .hasMessage("its answer is larger than the cap of 100000 bytes");
        assertThat(call(transport, name, 2 * cap).path("result").path("text").asText()).as(name).isEqualTo(BIG_TEXT);
      }
      for (String name : List.of("deep-sse", "deep-json")) {
        // The call's timeout is long: it must fail with the answer, not after the timeout.
        assertThatThrownBy(() -> call(transport, name, 0))
            .as(name)
            .isInstanceOfSatisfying(McpAnswerRefusedException.class, e -> assertThat(e.tooLarge()).isFalse())
            .hasMessageStartingWith("its answer goes past what Gatehouse reads");
      }
      for (String name : List.of("wide-sse", "wide-json")) {
        // 1,000,000 JSON tokens and more (2,000,000 bytes): read into a tree, 16 MiB of them had
        // taken seconds of CPU and most of a gigabyte.
        assertThatThrownBy(() -> call(transport, name, 0))
            .as(name)
            .isInstanceOfSatisfying(McpAnswerRefusedException.class, e -> assertThat(e.tooLarge()).isFalse())
            .hasMessageContaining("1,000,000 JSON tokens");
      }
      assertThat(call(transport, "wide-but-fewer", 0).path("result").path("wide").size()).isEqualTo(499_001);
      assertThat(call(transport, "loud", cap).path("result").path("ok").asBoolean()).isTrue();
      assertThat(call(transport, "quick", cap).path("result").path("ok").asBoolean()).isTrue();
      client.closeGracefully().block(Duration.ofSeconds(5));
    } finally {
      server.stop(0);
    }
  }

  /**
   * A direct request whose answer the transport already knows will not come fails at once: a
   * probe's calls to servers that answered with HTML, an empty JSON body, an event stream holding
   * plain JSON, or a body cut short each waited out the server's whole timeout.
   */
  @Test
  void aDirectRequestWhoseResponseCannotComeFailsAtOnce() throws Exception {
    HttpServer server =
        server(
            "broken",
            (ex, msg) -> {
              String name = msg.path("params").path("name").asText();
              String answer = "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":{\"content\":[]}}";
              switch (name) {
                case "html" -> {
                  byte[] page = "<html>hello</html>".getBytes(StandardCharsets.UTF_8);
                  ex.getResponseHeaders().add("Content-Type", "text/html");
                  ex.sendResponseHeaders(200, page.length);
                  ex.getResponseBody().write(page);
                }
                case "empty-json" -> {
                  ex.getResponseHeaders().add("Content-Type", "application/json");
                  ex.sendResponseHeaders(200, -1);
                }
                case "json-as-sse" -> {
                  byte[] body = answer.getBytes(StandardCharsets.UTF_8);
                  ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                  ex.sendResponseHeaders(200, body.length);
                  ex.getResponseBody().write(body);
                }
                default -> json(ex, answer);
              }
            });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
      StreamableHttpClientTransport transport = StreamableHttpClientTransport.builder(url).jsonMapper(McpJson.MAPPER).build();
      McpAsyncClient client =
          McpClient.async(transport).clientInfo(new McpSchema.Implementation("t", "1")).jsonSchemaValidator(McpJson.PASS_THROUGH).build();
      client.initialize().block(Duration.ofSeconds(10));
      for (String name : List.of("html", "empty-json", "json-as-sse")) {
        long started = System.nanoTime();
        // The call's timeout is a minute: it must fail with the answer, not after the timeout.
        assertThatThrownBy(() -> call(transport, name, 0))
            .as(name)
            .isInstanceOf(io.modelcontextprotocol.spec.McpTransportException.class)
            .isNotInstanceOf(StreamableHttpClientTransport.TimedOut.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as(name + ": well before its timeout").isLessThan(Duration.ofSeconds(30));
      }
      assertThat(call(transport, "fine", 0).path("result").path("content").isArray()).as("the session stands").isTrue();
      client.closeGracefully().block(Duration.ofSeconds(5));
    } finally {
      server.stop(0);
    }
  }

  private static JsonNode call(StreamableHttpClientTransport transport, String name, int maxAnswerBytes) {
    return transport.call(
        "tools/call", McpJson.OBJECT_MAPPER.createObjectNode().put("name", name), Duration.ofSeconds(60), Mono.never(), maxAnswerBytes);
  }

  /** An upstream's session id goes back on every request: a probe's was 200,000 characters. */
  @Test
  void aSessionIdIsVisibleAsciiAndBounded() {
    assertThat(StreamableHttpSession.saneSessionId("1868a90c-6b5e-4f1e-9c3d-5b2c8a1f0e11")).isTrue();
    assertThat(StreamableHttpSession.saneSessionId("x".repeat(StreamableHttpSession.MAX_SESSION_ID))).isTrue();
    assertThat(StreamableHttpSession.saneSessionId("x".repeat(StreamableHttpSession.MAX_SESSION_ID + 1))).isFalse();
    assertThat(StreamableHttpSession.saneSessionId("a b")).isFalse();
    assertThat(StreamableHttpSession.saneSessionId("a\u007fb")).isFalse();
    assertThat(StreamableHttpSession.saneSessionId("caf\u00e9")).isFalse();
    assertThat(StreamableHttpSession.saneSessionId("")).isFalse();
  }

  @Test
  void overBytesCountsUtf8() {
    assertThat(DirectRequests.overBytes("abc", 3)).isFalse();
    assertThat(DirectRequests.overBytes("abcd", 3)).isTrue();
    assertThat(DirectRequests.overBytes("\u00e9\u00e9", 4)).isFalse(); // 2 bytes each
    assertThat(DirectRequests.overBytes("\u00e9\u00e9", 3)).isTrue();
    assertThat(DirectRequests.overBytes("\u20ac", 2)).isTrue(); // 3 bytes
    assertThat(DirectRequests.overBytes("\ud83d\ude00", 4)).isFalse(); // a pair: 4 bytes
    assertThat(DirectRequests.overBytes("\ud83d\ude00a", 4)).isTrue();
  }

  /**
   * 404 to a request with a session id: McpTransportSessionNotFoundException, to the sender and the
   * exception handler; other statuses: McpTransportException. No message carries a header value.
   * A request's SSE stream that ends without an event id answers the request with an error.
   */
  @Test
  void errors() throws Exception {
    String[] next = {"init"};
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/mcp",
        ex -> {
          try {
            JsonNode msg = McpJson.OBJECT_MAPPER.readTree(ex.getRequestBody().readAllBytes());
            switch (next[0]) {
              case "init" -> {
                ex.getResponseHeaders().add("Mcp-Session-Id", "s1");
                json(ex, "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":{\"protocolVersion\":\"2025-11-25\","
                    + "\"capabilities\":{},\"serverInfo\":{\"name\":\"e\",\"version\":\"1\"}}}");
              }
              case "404" -> ex.sendResponseHeaders(404, -1);
              case "500" -> ex.sendResponseHeaders(500, -1);
              default -> {
                ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                ex.getResponseBody().write(": nothing\n\n".getBytes(StandardCharsets.UTF_8));
              }
            }
          } finally {
            ex.close();
          }
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
      StreamableHttpClientTransport transport =
          StreamableHttpClientTransport.builder(url).headers(Map.of("Authorization", "Bearer sekret")).build();
      List<Throwable> reported = new CopyOnWriteArrayList<>();
      List<McpSchema.JSONRPCMessage> received = new CopyOnWriteArrayList<>();
      CountDownLatch answered4 = new CountDownLatch(1);
      transport.setExceptionHandler(reported::add);
      transport
          .connect(
              m -> m.doOnNext(
                      msg -> {
                        received.add(msg);
                        if (msg instanceof McpSchema.JSONRPCResponse r && Integer.valueOf(4).equals(r.id())) {
                          answered4.countDown();
                        }
                      })
                  .then(Mono.empty()))
          .block();
      transport.sendMessage(new McpSchema.JSONRPCRequest("2.0", "initialize", 1, Map.of())).block(Duration.ofSeconds(5));

      next[0] = "404";
      Throwable expired = org.assertj.core.api.Assertions.catchThrowable(
          () -> transport.sendMessage(new McpSchema.JSONRPCRequest("2.0", "ping", 2, null)).block(Duration.ofSeconds(5)));
      assertThat(expired).isInstanceOf(io.modelcontextprotocol.spec.McpTransportSessionNotFoundException.class);
      assertThat(reported).hasSize(1).first().isInstanceOf(io.modelcontextprotocol.spec.McpTransportSessionNotFoundException.class);

      next[0] = "500";
      Throwable failed = org.assertj.core.api.Assertions.catchThrowable(
          () -> transport.sendMessage(new McpSchema.JSONRPCRequest("2.0", "ping", 3, null)).block(Duration.ofSeconds(5)));
      assertThat(failed).isInstanceOf(io.modelcontextprotocol.spec.McpTransportException.class).hasMessageContaining("500");
      for (Throwable t : List.of(expired, failed)) {
        assertThat(String.valueOf(t)).doesNotContain("sekret");
      }

      next[0] = "sse";
      transport.sendMessage(new McpSchema.JSONRPCRequest("2.0", "ping", 4, null)).block(Duration.ofSeconds(5));
      assertThat(answered4.await(5, TimeUnit.SECONDS)).as("request 4 answered").isTrue();
      assertThat(received).anySatisfy(m -> {
        assertThat(m).isInstanceOf(McpSchema.JSONRPCResponse.class);
        McpSchema.JSONRPCResponse r = (McpSchema.JSONRPCResponse) m;
        assertThat(r.id()).isEqualTo(4);
        assertThat(r.error()).isNotNull();
      });
      transport.closeGracefully().block(Duration.ofSeconds(5));
    } finally {
      server.stop(0);
    }
  }

  /** What a test server does with a request that has an id, other than initialize. */
  private interface Calls {
    void answer(HttpExchange ex, JsonNode request) throws java.io.IOException, InterruptedException;
  }

  /**
   * A Streamable HTTP server at 127.0.0.1, not yet started, each exchange on a thread of its own:
   * {@code /mcp} answers initialize (session {@code s1}, server {@code name}), accepts notifications
   * (202), refuses the listening GET (405), answers DELETE, and hands every other request to {@code calls}.
   */
  private static HttpServer server(String name, Calls calls) throws java.io.IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.createContext(
        "/mcp",
        ex -> {
          try {
            if (!ex.getRequestMethod().equals("POST")) {
              ex.sendResponseHeaders(ex.getRequestMethod().equals("GET") ? 405 : 200, -1);
              return;
            }
            JsonNode msg = McpJson.OBJECT_MAPPER.readTree(ex.getRequestBody().readAllBytes());
            if (!msg.has("id")) {
              ex.sendResponseHeaders(202, -1);
            } else if (msg.path("method").asText().equals("initialize")) {
              ex.getResponseHeaders().add("Mcp-Session-Id", "s1");
              json(ex, "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":{\"protocolVersion\":\"2025-11-25\","
                  + "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"" + name + "\",\"version\":\"1\"}}}");
            } else {
              calls.answer(ex, msg);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            ex.close();
          }
        });
    return server;
  }

  private static void json(HttpExchange ex, String body) throws java.io.IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private static void awaitCondition(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() < until).as("condition met within 10 s").isTrue();
      Thread.sleep(10);
    }
  }
}
