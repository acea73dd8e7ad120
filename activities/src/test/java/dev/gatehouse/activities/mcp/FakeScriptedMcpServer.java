package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake Streamable HTTP MCP server on loopback, written by hand on the JDK's HTTP server for
 * what a real one would not do. It answers initialize (a session, the capabilities given) and
 * takes notifications; every other request goes to {@link Script#answer} and every GET to {@link
 * Script#listen}, which write what the test needs. {@link #calls} counts requests by method
 * ({@code GET} for GETs).
 */
final class FakeScriptedMcpServer implements AutoCloseable {
  /** What the fake does beyond initialize. */
  interface Script {
    /** Answers request {@code msg} (its id as JSON in {@code id}); the default answers {@code {}}. */
    default void answer(HttpExchange ex, String method, String id, JsonNode msg) throws IOException {
      json(ex, result(id, "{}"));
    }

    /** Answers the listening GET; the default: 405, no listening stream. */
    default void listen(HttpExchange ex) throws IOException {
      ex.sendResponseHeaders(405, -1);
    }
  }

  final ConcurrentHashMap<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final String capabilities;
  private final Script script;

  FakeScriptedMcpServer(String capabilities, Script script) throws IOException {
    this.capabilities = capabilities;
    this.script = script;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-scripted-mcp");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/mcp", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
  }

  int count(String method) {
    AtomicInteger n = calls.get(method);
    return n == null ? 0 : n.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      if (ex.getRequestMethod().equals("GET")) {
        calls.computeIfAbsent("GET", k -> new AtomicInteger()).incrementAndGet();
        script.listen(ex);
        return;
      }
      if (!ex.getRequestMethod().equals("POST")) {
        ex.sendResponseHeaders(200, -1);
        return;
      }
      JsonNode msg = McpJson.OBJECT_MAPPER.readTree(ex.getRequestBody().readAllBytes());
      if (!msg.has("id") || !msg.has("method")) {
        ex.sendResponseHeaders(202, -1);
        return;
      }
      String method = msg.get("method").asText();
      calls.computeIfAbsent(method, k -> new AtomicInteger()).incrementAndGet();
      String id = msg.get("id").toString();
      if (method.equals("initialize")) {
        ex.getResponseHeaders().add("Mcp-Session-Id", "fake-1");
        json(ex, result(id, "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":" + capabilities
            + ",\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}"));
        return;
      }
      script.answer(ex, method, id, msg);
    } catch (IOException e) {
      // the client went away
    } finally {
      ex.close();
    }
  }

  static String result(String id, String result) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}";
  }

  static void json(HttpExchange ex, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Starts an SSE body; write events to what it returns, then close it. */
  static OutputStream sse(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    return ex.getResponseBody();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
