package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.activities.mcp.McpJson;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A session nobody uses is closed after mcp.sessionIdleTimeout; its id then answers 404. */
class McpSessionExpiryTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> post(TestGatehouse g, String session, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(g.api() + "/mcp"))
            .header("Authorization", "Bearer " + KEY_A)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      b.header("Mcp-Session-Id", session);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void idleSessionsExpireAndActiveOnesStay() throws Exception {
    try (TestGatehouse g = TestGatehouse.start(c -> c.getMcp().setSessionIdleTimeout(io.dropwizard.util.Duration.seconds(2)))) {
      String init =
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
      String idle = post(g, null, init).headers().firstValue("Mcp-Session-Id").orElseThrow();
      String busy = post(g, null, init).headers().firstValue("Mcp-Session-Id").orElseThrow();
      String ping = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}";
      long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
      while (System.nanoTime() < end) {
        assertThat(post(g, busy, ping).statusCode()).as("a session in use stays").isEqualTo(200);
        Thread.sleep(500);
      }
      HttpResponse<String> expired = post(g, idle, ping);
      assertThat(expired.statusCode()).isEqualTo(404);
      assertThat(McpJson.OBJECT_MAPPER.readTree(expired.body()).path("error").path("data").path("code").asText())
          .isEqualTo("unknown_session");
    }
  }
}
