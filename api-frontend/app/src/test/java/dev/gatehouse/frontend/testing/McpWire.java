package dev.gatehouse.frontend.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gatehouse's {@code /mcp} spoken as plain Streamable HTTP JSON-RPC, for tests: sessions, calls,
 * reading answers (JSON or SSE); registering an upstream MCP server in the
 * database and waiting until its tools show in an agent's {@code tools/list}, spoken as plain
 * Streamable HTTP JSON-RPC (McpUpstreams is not reachable from tests; its health tick discovers
 * new servers, so tests set {@code mcp.healthInterval} short).
 */
public final class McpWire {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private McpWire() {}

  /** Registers a global server (tenant null). */
  public static void register(TestGatehouse g, McpServerDefinition server) {
    if (!g.db.jdbi().onDemand(McpServerDao.class).insert(server)) {
      throw new IllegalStateException("MCP server name taken: " + server.name());
    }
  }

  public static McpServerDefinition streamableHttp(String name, String url, String prefix) {
    return new McpServerDefinition(
        name, null, McpServerDefinition.STREAMABLE_HTTP, url, null, null, null, null, null, null,
        null, null, null, prefix, null, null);
  }

  public static McpServerDefinition stdio(String name, String command, List<String> args, String prefix) {
    return new McpServerDefinition(
        name, null, McpServerDefinition.STDIO, null, command, args, Map.of(), null, null, null,
        null, null, null, prefix, null, null);
  }

  /** Polls the agent's tools/list until every name in {@code expected} is there; returns the names. */
  public static List<String> awaitTools(TestGatehouse g, String key, Duration timeout, String... expected) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> names = List.of();
    while (System.nanoTime() < deadline) {
      try {
        names = toolNames(g.api() + "/mcp", key);
        if (names.containsAll(List.of(expected))) {
          return names;
        }
      } catch (RuntimeException e) {
        // not ready yet
      }
      sleep(250);
    }
    throw new AssertionError(
        "tools " + List.of(expected) + " did not appear within " + timeout + "; last tools/list: " + names);
  }

  /** A new session of the agent with {@code key}: initialize, then notifications/initialized; its id. */
  public static String initialize(String endpoint, String key) {
    HttpResponse<String> init =
        post(endpoint, key, null,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"gatehouse-test\",\"version\":\"1\"}}}");
    if (init.statusCode() != 200) {
      throw new IllegalStateException("initialize answered " + init.statusCode() + ": " + init.body());
    }
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    post(endpoint, key, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    return session;
  }

  /** One fresh session: initialize, notifications/initialized, tools/list; the tool names. */
  public static List<String> toolNames(String endpoint, String key) {
    String session = initialize(endpoint, key);
    try {
      HttpResponse<String> list =
          post(endpoint, key, session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
      JsonNode message = message(list.body());
      List<String> names = new ArrayList<>();
      message.path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
      if (!message.has("result")) {
        throw new IllegalStateException("tools/list answered " + list.statusCode() + ": " + list.body());
      }
      return names;
    } finally {
      if (session != null) {
        try {
          HTTP.send(
              HttpRequest.newBuilder(URI.create(endpoint)).DELETE()
                  .header("Authorization", "Bearer " + key).header("Mcp-Session-Id", session).build(),
              HttpResponse.BodyHandlers.discarding());
        } catch (IOException | InterruptedException ignored) {
          // best effort
        }
      }
    }
  }

  /** The JSON-RPC message of a JSON body or of the first SSE {@code data:} event with an id. */
  public static JsonNode message(String body) {
    try {
      String trimmed = body.trim();
      if (trimmed.startsWith("{")) {
        return JSON.readTree(trimmed);
      }
      for (String line : body.split("\n")) {
        if (line.startsWith("data:")) {
          JsonNode m = JSON.readTree(line.substring(5).trim());
          if (m.has("id") && (m.has("result") || m.has("error"))) {
            return m;
          }
        }
      }
      throw new IllegalStateException("no JSON-RPC answer in: " + body);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable answer: " + body, e);
    }
  }

  /** Ends session {@code session} (DELETE). */
  public static HttpResponse<String> delete(String endpoint, String key, String session) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create(endpoint)).header("Authorization", "Bearer " + key).header("Mcp-Session-Id", session).DELETE().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** POSTs one JSON-RPC message ({@code key} and {@code session} may be null; {@code headers} are name, value pairs). */
  public static HttpResponse<String> post(String endpoint, String key, String session, String body, String... headers) {
    return post(HTTP, endpoint, key, session, body, headers);
  }

  /** As {@link #post(String, String, String, String, String...)}, on {@code client}'s connections (a new client: a connection of its own). */
  public static HttpResponse<String> post(HttpClient client, String endpoint, String key, String session, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(endpoint))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream");
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    if (session != null) {
      b.header("Mcp-Session-Id", session);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
