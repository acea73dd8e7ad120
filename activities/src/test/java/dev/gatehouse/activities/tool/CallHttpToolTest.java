package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.HttpToolConnector;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.tools.UpstreamAuth;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An HTTP tool's call with its upstream credentials, against a real upstream and token endpoint on loopback. */
class CallHttpToolTest {
  private LoopbackUpstream upstream;
  private final AtomicInteger tokensIssued = new AtomicInteger();
  private final CallHttpTool call =
      new CallHttpTool(new HttpToolConnector(65_536), new UpstreamCredentials(null, Clock.systemUTC()));

  @BeforeEach
  void start() {
    upstream = LoopbackUpstream.start();
    upstream.route(
        "/token",
        r -> new LoopbackUpstream.Answer(
            200, "{\"access_token\":\"tok-" + tokensIssued.incrementAndGet() + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}"));
  }

  @AfterEach
  void stop() {
    upstream.close();
  }

  private ToolDefinition tool(UpstreamAuth auth) {
    return new ToolDefinition(
        "t.notes", "", new HttpEndpoint("GET", upstream.url("/notes"), Map.of()), null, Duration.ofSeconds(5), RetrySpec.DEFAULT, "ten_a", auth);
  }

  private UpstreamAuth clientCredentials() {
    return new UpstreamAuth(UpstreamAuth.CLIENT_CREDENTIALS, upstream.url("/token"), "gatehouse", "s3cret-value", List.of());
  }

  private static ToolExchange exchange(ToolDefinition tool) {
    ToolExchange x = new ToolExchange(ToolCall.of(tool.name(), null, new Caller("ten_a", "agt_a", List.of()), new CallContext("task-1", "act-1", 1)));
    x.resolved(tool);
    return x;
  }

  /** The upstream accepts only tokens from the second on: the first was revoked before it expired. */
  private void revokingTheFirstToken() {
    upstream.route(
        "/notes",
        r -> "Bearer tok-1".equals(r.authorization())
            ? new LoopbackUpstream.Answer(401, "{\"error\":\"revoked " + r.authorization() + "\"}")
            : new LoopbackUpstream.Answer(200, "{\"notes\":[]}"));
  }

  @Test
  void a401ToACachedTokenFetchesANewTokenAndCallsOnceMore() {
    revokingTheFirstToken();

    ToolCallResult result = call.call(exchange(tool(clientCredentials())));

    assertThat(result.status()).isEqualTo(200);
    assertThat(result.output().has("notes")).isTrue();
    assertThat(upstream.requests("/notes")).extracting(LoopbackUpstream.Request::authorization)
        .containsExactly("Bearer tok-1", "Bearer tok-2");
    assertThat(tokensIssued.get()).isEqualTo(2);
  }

  @Test
  void theNewTokenIsKeptForTheNextCall() {
    revokingTheFirstToken();
    call.call(exchange(tool(clientCredentials())));

    call.call(exchange(tool(clientCredentials())));

    assertThat(upstream.requests("/notes")).extracting(LoopbackUpstream.Request::authorization)
        .containsExactly("Bearer tok-1", "Bearer tok-2", "Bearer tok-2");
    assertThat(tokensIssued.get()).isEqualTo(2);
  }

  @Test
  void aSecond401IsTheCallersWithoutTheTokenInTheMessage() {
    upstream.route("/notes", r -> new LoopbackUpstream.Answer(401, "{\"error\":\"bad " + r.authorization() + "\"}"));

    assertThatThrownBy(() -> call.call(exchange(tool(clientCredentials()))))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.UPSTREAM_CLIENT_ERROR);
          assertThat(e.retryable()).isFalse();
          assertThat(e.httpStatus()).isEqualTo(401);
          assertThat(e.getMessage()).startsWith("t.notes answered HTTP 401").contains("[redacted]").doesNotContain("tok-");
        });
    assertThat(upstream.requests("/notes")).hasSize(2);
  }

  @Test
  void a401WithoutAnOAuthTokenIsNotRetried() {
    upstream.route("/notes", r -> new LoopbackUpstream.Answer(401, "{\"error\":\"who are you\"}"));

    assertThatThrownBy(() -> call.call(exchange(tool(null))))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));
    assertThat(upstream.requests("/notes")).hasSize(1);
    assertThat(tokensIssued.get()).isZero();
  }

  @Test
  void aTokenEchoedInAnAnswerIsRedactedEvenWhereJsonEscapesIt() {
    // A token with a quote in it is written \" in the answer's JSON: redaction reads the answer's
    // strings as they are, not its text, so it is found there too.
    upstream.route(
        "/token",
        r -> new LoopbackUpstream.Answer(
            200, "{\"access_token\":\"tok\\\"q-" + tokensIssued.incrementAndGet() + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}"));
    upstream.route(
        "/notes",
        r -> new LoopbackUpstream.Answer(
            200, "{\"echo\":\"" + r.authorization().replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"auth\":{\"header\":[\"" + r.authorization().replace("\"", "\\\"") + "\"]}}"));

    ToolCallResult result = call.call(exchange(tool(clientCredentials())));

    assertThat(upstream.requests("/notes")).extracting(LoopbackUpstream.Request::authorization).containsExactly("Bearer tok\"q-1");
    assertThat(result.output().get("echo").asText()).isEqualTo("Bearer [redacted]");
    assertThat(result.output().get("auth").get("header").get(0).asText()).isEqualTo("Bearer [redacted]");
    assertThat(result.output().toString()).doesNotContain("q-1");
  }
}
