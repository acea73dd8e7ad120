package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One tenant's agents together hold at most {@code mcp.maxSessionsPerTenant} sessions of a
 * replica (a tenant admin may make any number of agents, each with its own share), and the
 * sessions of an agent that is deleted are closed, their GET streams ended and their places given
 * back, at the next sweep rather than when they go idle. A GET stream answers at once, not with
 * its first event.
 */
class McpSessionSharesTest {
  private static final String INIT =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
          + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
  // HTTP/1.1 as agents speak it here (the default, HTTP/2, would try an h2c upgrade first).
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static final java.util.concurrent.ExecutorService READERS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "stream-reader");
    t.setDaemon(true);
    return t;
  });

  static TestGatehouse gh;
  static String endpoint;
  static String alpha;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start(c -> {
      c.getMcp().setMaxSessions(10);
      c.getMcp().setMaxSessionsPerTenant(3);
      c.getMcp().setMaxSessionsPerAgent(2);
      // The sweep that closes a deleted agent's sessions runs every half idle timeout.
      c.getMcp().setSessionIdleTimeout(io.dropwizard.util.Duration.seconds(6));
      // No keep-alive ping within a test: a listening stream's headers must not wait for one.
      c.getMcp().setKeepAliveInterval(io.dropwizard.util.Duration.minutes(10));
    });
    endpoint = gh.api() + "/mcp";
    alpha = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT id FROM tenants WHERE name = 'alpha'").mapTo(String.class).one());
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  /** A new agent of tenant alpha; its key. */
  private static String[] agent(String name) {
    HttpResponse<String> a = gh.post("/admin/v1/agents", ADMIN_KEY, "{\"tenant\":\"" + alpha + "\",\"name\":\"" + name + "\"}");
    assertThat(a.statusCode()).as(a.body()).isEqualTo(201);
    String id = json(a).get("id").asText();
    HttpResponse<String> k = gh.post("/admin/v1/agents/" + id + "/keys", ADMIN_KEY, "{}");
    assertThat(k.statusCode()).as(k.body()).isEqualTo(201);
    return new String[] {id, json(k).get("key").asText()};
  }

  /** Opens the session's GET stream; the future completes when the server ends it. */
  private static CompletableFuture<HttpResponse<String>> listen(String key, String session) {
    return HTTP.sendAsync(
        HttpRequest.newBuilder(URI.create(endpoint)).GET()
            .header("Authorization", "Bearer " + key).header("Mcp-Session-Id", session).header("Accept", "text/event-stream").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void assertRefused(HttpResponse<String> r, String limit, int max) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    JsonNode data = json(r).path("error").path("data");
    assertThat(data.path("code").asText()).isEqualTo("overloaded");
    assertThat(data.path("limit").asText()).isEqualTo(limit);
    assertThat(data.path("max").asInt()).isEqualTo(max);
  }

  @Test
  void aTenantsAgentsShareItsPlacesAndADeletedAgentsSessionsAreClosed() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
    List<String> sessions = new ArrayList<>();
    // Two sessions of agent-a (its own share), each listening, so no idle sweep closes them.
    for (int i = 0; i < 2; i++) {
      String s = McpWire.initialize(endpoint, KEY_A);
      sessions.add(s);
      streams.add(listen(KEY_A, s));
    }
    String[] second = agent("shares-2");
    String orphan = McpWire.initialize(endpoint, second[1]);
    CompletableFuture<HttpResponse<String>> orphanStream = listen(second[1], orphan);
    // The tenant's third place is taken; the second agent is within its own share but not the tenant's.
    assertRefused(McpWire.post(endpoint, second[1], null, INIT), "tenantSessions", 3);
    // Another tenant's agent is not counted with them.
    String beta = McpWire.initialize(endpoint, KEY_B);
    assertThat(beta).isNotBlank();

    // The second agent is deleted: its key stops working at once, its session at the next sweep.
    assertThat(gh.delete("/admin/v1/agents/" + second[0], ADMIN_KEY).statusCode()).isEqualTo(204);
    HttpResponse<String> ended = orphanStream.get(20, TimeUnit.SECONDS);
    assertThat(ended.statusCode()).isEqualTo(200);
    assertThat(streams).noneMatch(CompletableFuture::isDone);

    // Its place is the tenant's again.
    String[] third = agent("shares-3");
    String fresh = McpWire.initialize(endpoint, third[1]);
    assertThat(fresh).isNotBlank();
    assertRefused(McpWire.post(endpoint, third[1], null, INIT), "tenantSessions", 3);
    // Ended, their streams end (a stream left open would hold the server's stop for its grace period).
    for (String s : sessions) {
      assertThat(gh.send(HttpRequest.newBuilder(URI.create(endpoint)).DELETE().header("Mcp-Session-Id", s), KEY_A).statusCode())
          .isEqualTo(200);
    }
    for (CompletableFuture<HttpResponse<String>> f : streams) {
      f.get(10, TimeUnit.SECONDS);
    }
  }
  /** A probe's GET stream sent its headers with its first event, a keep-alive ping up to 15 s later. */
  @Test
  void aListeningStreamAnswersAtOnceNotWithItsFirstEvent() throws Exception {
    String session = McpWire.initialize(endpoint, KEY_B);
    // ofInputStream: the future completes when the headers come.
    CompletableFuture<HttpResponse<java.io.InputStream>> stream =
        HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create(endpoint)).GET()
                .header("Authorization", "Bearer " + KEY_B).header("Mcp-Session-Id", session).header("Accept", "text/event-stream").build(),
            HttpResponse.BodyHandlers.ofInputStream());
    // Far below the keep-alive interval (10 minutes here): without the headers, this times out.
    HttpResponse<java.io.InputStream> open;
    try {
      open = stream.get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // It timed out once in CI and never here: say where the server's threads were, and end the
      // session so its stream does not hold the server's stop for its grace period.
      Thread.getAllStackTraces().forEach((t, frames) -> {
        if (t.getName().startsWith("dw-") || t.getName().contains("qtp") || t.getName().contains("mcp")) {
          System.err.println("thread " + t.getName() + " " + t.getState());
          for (StackTraceElement f : frames) {
            System.err.println("    at " + f);
          }
        }
      });
      gh.send(HttpRequest.newBuilder(URI.create(endpoint)).DELETE().header("Mcp-Session-Id", session), KEY_B);
      throw e;
    }
    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(open.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    // Events still come on it after (McpGatewayTest's list_changed); the session's end closes it.
    assertThat(gh.send(HttpRequest.newBuilder(URI.create(endpoint)).DELETE().header("Mcp-Session-Id", session), KEY_B).statusCode())
        .isEqualTo(200);
    try (java.io.InputStream body = open.body()) {
      assertThat(CompletableFuture.supplyAsync(() -> {
        try {
          return body.readAllBytes().length;
        } catch (java.io.IOException e) {
          return -1;
        }
      }).get(20, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(0);
    }
  }

  /**
   * A probe opened 8,000 listening streams on one session and took every file the process could
   * open. The streams were not what stayed: a session has one, a new GET ends the one before it
   * (the exchange ends; the agent's connection stays open, idle, as any other, which
   * {@code limits.maxConnections} bounds), and the session's end ends it.
   */
  @Test
  void aNewListeningStreamEndsTheSessionsEarlierOne() throws Exception {
    String session = McpWire.initialize(endpoint, KEY_B);
    HttpResponse<java.io.InputStream> first = listen(session);
    CompletableFuture<Integer> firstEnd = readToEnd(first);
    HttpResponse<java.io.InputStream> second = listen(session);
    CompletableFuture<Integer> secondEnd = readToEnd(second);

    assertThat(firstEnd.get(20, TimeUnit.SECONDS)).as("the earlier stream ends").isGreaterThanOrEqualTo(0);
    Thread.sleep(500);
    assertThat(secondEnd).as("the newest stays open").isNotDone();

    assertThat(gh.send(HttpRequest.newBuilder(URI.create(endpoint)).DELETE().header("Mcp-Session-Id", session), KEY_B).statusCode())
        .isEqualTo(200);
    assertThat(secondEnd.get(20, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(0);
  }

  private static HttpResponse<java.io.InputStream> listen(String session) throws Exception {
    HttpResponse<java.io.InputStream> open =
        HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create(endpoint)).GET()
                    .header("Authorization", "Bearer " + KEY_B).header("Mcp-Session-Id", session).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream())
            .get(20, TimeUnit.SECONDS);
    assertThat(open.statusCode()).isEqualTo(200);
    return open;
  }

  /** The bytes read until the stream ends (-1: it broke). */
  private static CompletableFuture<Integer> readToEnd(HttpResponse<java.io.InputStream> open) {
    return CompletableFuture.supplyAsync(() -> { // on a thread of its own: the read blocks
      try (java.io.InputStream body = open.body()) {
        return body.readAllBytes().length;
      } catch (java.io.IOException e) {
        return -1;
      }
    }, READERS);
  }
}
