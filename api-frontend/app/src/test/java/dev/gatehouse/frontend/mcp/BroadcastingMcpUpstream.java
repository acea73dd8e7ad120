package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.activities.mcp.McpJson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake Streamable HTTP MCP server written by hand on the JDK's HTTP server, whose sessions'
 * listening GET streams stay open until the server closes, so that a log message can be sent to
 * every one of them at once ({@link #broadcastLog}), as a server sends what concerns all its
 * clients. One read-only tool, {@code echo}; {@link #sessions} counts the sessions begun, {@link
 * #callEnvs} the {@code X-Env} header each call came with.
 */
final class BroadcastingMcpUpstream implements AutoCloseable {
  final AtomicInteger sessions = new AtomicInteger();
  /** The {@code X-Env} header of each tools/call, in order. */
  final List<String> callEnvs = new CopyOnWriteArrayList<>();
  private final List<OutputStream> listening = new CopyOnWriteArrayList<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final HttpServer server;

  BroadcastingMcpUpstream() throws IOException {
    server = FakeRawMcpUpstream.loopback("fake-broadcasting-mcp", this::handle);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
  }

  /** Sends a log message with {@code text} on every open GET stream. */
  void broadcastLog(String text) {
    byte[] event = ("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"error\",\"data\":\""
        + text + "\"}}\n\n").getBytes(StandardCharsets.UTF_8);
    for (OutputStream out : listening) {
      try {
        synchronized (out) {
          out.write(event);
          out.flush();
        }
      } catch (IOException e) {
        listening.remove(out);
      }
    }
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
    String result =
        switch (msg.path("method").asText()) {
          case "initialize" -> {
            ex.getResponseHeaders().add("Mcp-Session-Id", "broadcast-" + sessions.incrementAndGet());
            yield "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{},\"logging\":{}},"
                + "\"serverInfo\":{\"name\":\"broadcasting\",\"version\":\"1\"}}";
          }
          case "tools/list" -> "{\"tools\":[{\"name\":\"echo\",\"inputSchema\":{\"type\":\"object\"},\"annotations\":{\"readOnlyHint\":true}}]}";
          case "tools/call" -> {
            callEnvs.add(String.valueOf(ex.getRequestHeaders().getFirst("X-Env")));
            yield "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"isError\":false}";
          }
          default -> "{}";
        };
    FakeRawMcpUpstream.answer(ex, ("{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":" + result + "}").getBytes(StandardCharsets.UTF_8));
  }

  private void listen(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    out.write(": open\n\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
    listening.add(out);
    try {
      closing.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      listening.remove(out);
    }
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
  }
}
