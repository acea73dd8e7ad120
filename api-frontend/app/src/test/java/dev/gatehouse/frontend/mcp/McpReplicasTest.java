package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.mcp.McpServerDao;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Two replicas on one database, as behind a load balancer (docs/mcp.md, "Sessions and replicas"):
 * the registry and the discovered catalog are shared through PostgreSQL, so both list the same
 * upstream tools; a session lives on the replica that created it, and the other answers its id
 * with 404 unknown_session, which tells a client to initialize again (there, or with affinity,
 * back where it was).
 */
class McpReplicasTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> post(String base, String session, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + "/mcp"))
            .header("Authorization", "Bearer " + KEY_A)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      b.header("Mcp-Session-Id", session);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String initialize(String base) throws Exception {
    HttpResponse<String> r =
        post(base, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    assertThat(r.statusCode()).isEqualTo(200);
    String session = r.headers().firstValue("Mcp-Session-Id").orElseThrow();
    post(base, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    return session;
  }

  private static String tools(String base, String session) throws Exception {
    return post(base, session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}").body();
  }

  @Test
  void replicasShareTheCatalogButNotSessions() throws Exception {
    try (NotesUpstream notes = new NotesUpstream();
        TestGatehouse a = TestGatehouse.start(c -> c.getMcp().setHealthInterval(io.dropwizard.util.Duration.milliseconds(300)));
        TestGatehouse b = a.replica(c -> c.getMcp().setHealthInterval(io.dropwizard.util.Duration.hours(1)))) {
      // Registered once, discovered by replica A (B's own checks are an hour away).
      a.db.jdbi().onDemand(McpServerDao.class).insert(McpGatewayTest.server("notes", notes.url(), null, null));
      String onA = initialize(a.api());
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!tools(a.api(), onA).contains("notes.write_note") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      String onB = initialize(b.api());
      assertThat(tools(b.api(), onB)).as("B lists what A discovered, from PostgreSQL").contains("notes.write_note");

      HttpResponse<String> foreign = post(b.api(), onA, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
      assertThat(foreign.statusCode()).isEqualTo(404);
      assertThat(McpJson.OBJECT_MAPPER.readTree(foreign.body()).path("error").path("data").path("code").asText())
          .isEqualTo("unknown_session");
      assertThat(post(a.api(), onA, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}").statusCode())
          .as("with affinity the session goes on where it started")
          .isEqualTo(200);

      notes.notes.put("k", "v");
      String read =
          post(b.api(), onB, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"notes.read_note\",\"arguments\":{\"name\":\"k\"}}}").body();
      assertThat(read).as("B calls the upstream itself, on demand").contains("\"text\":\"v\"");
    }
  }
}
