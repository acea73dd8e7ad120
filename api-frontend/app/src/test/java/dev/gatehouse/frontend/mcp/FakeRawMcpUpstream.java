package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.activities.mcp.McpJson;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake Streamable HTTP MCP server written by hand on the JDK's HTTP server, for what a real one
 * would not do: it offers one read-only tool ({@code echo}), the resources {@code fake://big}
 * (whose read is answered with a JSON body of {@link #BIG_BYTES}) and {@code fake://garbage}
 * (answered with a body that is not JSON), the template {@code fake://item/{id}} (read as a short
 * text; {@code fake://item/slow-...} only once {@link #releaseSlowReads} is called, counted in
 * {@link #slowReads} as they arrive) and completion of it ({@code from-upstream}; counted in
 * {@link #completions}; {@code fake://item/elsewhere} is answered as {@code fake://secret}, as a
 * server that resolved the URI would; a subscription is answered after two update notifications,
 * of the resource and of {@code fake://secret}). Its
 * listening GET stream waits {@link #NOTIFY_AFTER_MILLIS}, then sends a log message and a progress
 * notification nobody asked for (counted in {@link #notificationsSent}), and stays open a while.
 */
final class FakeRawMcpUpstream implements AutoCloseable {
  /** Over the 16 MiB Gatehouse reads of one message from an upstream. */
  static final int BIG_BYTES = 17 * 1024 * 1024;
  static final long NOTIFY_AFTER_MILLIS = 1000;

  final AtomicInteger completions = new AtomicInteger();
  /** The URIs of {@code fake://item/...} reads that reached this server. */
  final java.util.List<String> reads = new java.util.concurrent.CopyOnWriteArrayList<>();
  final AtomicInteger notificationsSent = new AtomicInteger();
  final AtomicInteger slowReads = new AtomicInteger();
  private volatile CountDownLatch slowRelease = new CountDownLatch(1);
  private final HttpServer server;
  private volatile boolean closed;

  FakeRawMcpUpstream() throws IOException {
    server = loopback("fake-raw-mcp", this::handle);
  }

  /** A JDK HTTP server on loopback serving {@code /mcp} with {@code mcp}, on daemon threads named {@code threads}. */
  static HttpServer loopback(String threads, com.sun.net.httpserver.HttpHandler mcp) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, threads);
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/mcp", mcp);
    server.start();
    return server;
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      switch (ex.getRequestMethod()) {
        case "POST" -> post(ex);
        case "GET" -> listen(ex);
        default -> ex.sendResponseHeaders(200, -1);
      }
    } finally {
      ex.close();
    }
  }

  private void post(HttpExchange ex) throws IOException {
    JsonNode msg = McpJson.OBJECT_MAPPER.readTree(ex.getRequestBody().readAllBytes());
    if (!msg.has("id") || !msg.has("method")) {
      ex.sendResponseHeaders(202, -1);
      return;
    }
    String id = msg.get("id").toString();
    String method = msg.path("method").asText();
    String result =
        switch (method) {
          case "initialize" -> {
            ex.getResponseHeaders().add("Mcp-Session-Id", "fake-session-1");
            yield "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{},\"resources\":{\"subscribe\":true},\"completions\":{},"
                + "\"logging\":{}},\"serverInfo\":{\"name\":\"fake-raw\",\"version\":\"1\"}}";
          }
          case "tools/list" ->
              "{\"tools\":[{\"name\":\"echo\",\"inputSchema\":{\"type\":\"object\"},\"annotations\":{\"readOnlyHint\":true}}]}";
          case "tools/call" -> "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"isError\":false}";
          case "resources/list" ->
              "{\"resources\":[{\"uri\":\"fake://big\",\"name\":\"big\"},{\"uri\":\"fake://garbage\",\"name\":\"garbage\"}]}";
          case "resources/templates/list" -> "{\"resourceTemplates\":[{\"uriTemplate\":\"fake://item/{id}\",\"name\":\"item\"}]}";
          case "resources/subscribe" -> {
            // Before its answer, on the POST's stream: the resource subscribed to is updated, and so
            // is fake://secret (which it did not ask for).
            String uri = msg.path("params").path("uri").asText();
            String updated = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":\"%s\"}}";
            String events =
                "event: message\ndata: " + String.format(updated, uri) + "\n\n"
                    + "event: message\ndata: " + String.format(updated, "fake://secret") + "\n\n"
                    + "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}\n\n";
            byte[] body = events.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
              out.write(body);
            }
            yield null;
          }
          case "completion/complete" -> {
            completions.incrementAndGet();
            yield "{\"completion\":{\"values\":[\"from-upstream\"],\"total\":1,\"hasMore\":false}}";
          }
          case "resources/read" -> {
            String uri = msg.path("params").path("uri").asText();
            if (uri.equals("fake://big")) {
              bigAnswer(ex, id);
              yield null;
            }
            if (uri.equals("fake://garbage")) {
              answer(ex, "this is not JSON at all".getBytes(StandardCharsets.UTF_8));
              yield null;
            }
            if (uri.startsWith("fake://item/slow-")) {
              CountDownLatch release = slowRelease;
              slowReads.incrementAndGet();
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            reads.add(uri);
            // As a server that takes its template's variable for a path and resolves it: the
            // answer is another resource than the one asked for.
            String answered = uri.equals("fake://item/elsewhere") ? "fake://secret" : uri;
            // fake://item/half: half of an emoji's pair, alone, as JSON escapes it.
            String text = uri.equals("fake://item/half") ? "half \\ud83d alone" : "item text";
            yield "{\"contents\":[{\"uri\":\"" + answered + "\",\"mimeType\":\"text/plain\",\"text\":\"" + text + "\"}]}";
          }
          default -> "{}";
        };
    if (result != null) {
      answer(ex, ("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}").getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Answers the slow reads waiting now, and counts the next ones from zero. */
  void releaseSlowReads() {
    CountDownLatch release = slowRelease;
    slowRelease = new CountDownLatch(1);
    slowReads.set(0);
    release.countDown();
  }

  /** A 200 JSON answer of {@code body}. */
  static void answer(HttpExchange ex, byte[] body) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static void bigAnswer(HttpExchange ex, String id) throws IOException {
    byte[] head = ("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"contents\":[{\"uri\":\"fake://big\",\"text\":\"")
        .getBytes(StandardCharsets.UTF_8);
    byte[] tail = "\"}]}}".getBytes(StandardCharsets.UTF_8);
    byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
    int chunks = BIG_BYTES / chunk.length + 1;
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, head.length + (long) chunks * chunk.length + tail.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(head);
      for (int i = 0; i < chunks; i++) {
        out.write(chunk);
      }
      out.write(tail);
    } catch (IOException e) {
      // the reader stopped reading: as it should
    }
  }

  private void listen(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(": open\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      sleep(NOTIFY_AFTER_MILLIS);
      String log =
          "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"error\",\"data\":\"fake upstream log\"}}";
      String progress =
          "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"stray\",\"progress\":1}}";
      out.write(("event: message\ndata: " + log + "\n\nevent: message\ndata: " + progress + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      notificationsSent.addAndGet(2);
      for (int i = 0; i < 50 && !closed; i++) {
        sleep(100);
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    slowRelease.countDown();
    server.stop(0);
  }
}
