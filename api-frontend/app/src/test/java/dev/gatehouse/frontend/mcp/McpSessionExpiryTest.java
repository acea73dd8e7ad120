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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A session nobody uses is closed after mcp.sessionIdleTimeout; its id then answers 404. A session
 * whose agent is waiting on a tools/call is in use, however long the call takes.
 */
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

  private static final String INIT =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
  private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}";

  @Test
  void idleSessionsExpireAndActiveOnesStay() throws Exception {
    try (TestGatehouse g = TestGatehouse.start(c -> c.getMcp().setSessionIdleTimeout(io.dropwizard.util.Duration.seconds(2)))) {
      String idle = post(g, null, INIT).headers().firstValue("Mcp-Session-Id").orElseThrow();
      String busy = post(g, null, INIT).headers().firstValue("Mcp-Session-Id").orElseThrow();
      long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
      while (System.nanoTime() < end) {
        assertThat(post(g, busy, PING).statusCode()).as("a session in use stays").isEqualTo(200);
        Thread.sleep(500);
      }
      HttpResponse<String> expired = post(g, idle, PING);
      assertThat(expired.statusCode()).isEqualTo(404);
      assertThat(McpJson.OBJECT_MAPPER.readTree(expired.body()).path("error").path("data").path("code").asText())
          .isEqualTo("unknown_session");
    }
  }

  @Test
  void aSessionWaitingOnItsCallIsNotIdle() throws Exception {
    try (TestGatehouse g = TestGatehouse.start(c -> c.getMcp().setSessionIdleTimeout(io.dropwizard.util.Duration.seconds(2)))) {
      String session = post(g, null, INIT).headers().firstValue("Mcp-Session-Id").orElseThrow();
      String callHeld =
          "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"t.hold\",\"arguments\":{\"name\":\"idle-call\"}}}";
      CompletableFuture<HttpResponse<String>> call =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return post(g, session, callHeld);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(g.tools.arrived("idle-call").await(20, TimeUnit.SECONDS)).as("the held call reached the tool").isTrue();
      // Over twice the idle timeout, with a sweep every second, while the agent waits on its call.
      Thread.sleep(5_000);
      g.tools.release("idle-call");
      HttpResponse<String> answer = call.get(30, TimeUnit.SECONDS);
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.body()).contains("released").doesNotContain("\"error\"");
      HttpResponse<String> after = post(g, session, PING);
      assertThat(after.statusCode()).as("the session that waited on its call is still open: " + after.body()).isEqualTo(200);
    }
  }

  /**
   * tools/call is answered by Gatehouse without the SDK: an agent that only calls tools is still
   * using its session (the SDK's own sweeper dropped such sessions after one or two idle timeouts).
   */
  @Test
  void aSessionThatOnlyCallsToolsIsNotIdle() throws Exception {
    try (TestGatehouse g = TestGatehouse.start(c -> c.getMcp().setSessionIdleTimeout(io.dropwizard.util.Duration.seconds(2)))) {
      String session = post(g, null, INIT).headers().firstValue("Mcp-Session-Id").orElseThrow();
      String call = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"t.add\",\"arguments\":{\"a\":1,\"b\":2}}}";
      long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
      while (System.nanoTime() < end) {
        HttpResponse<String> r = post(g, session, call);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).doesNotContain("\"error\"");
        Thread.sleep(300);
      }
      HttpResponse<String> after = post(g, session, PING);
      assertThat(after.statusCode()).as("a session that only called tools is still open: " + after.body()).isEqualTo(200);
    }
  }
}
