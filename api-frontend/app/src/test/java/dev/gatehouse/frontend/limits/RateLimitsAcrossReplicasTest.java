package dev.gatehouse.frontend.limits;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.limits.RateBucketDao;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.policies.PolicyDefinition.AppliesTo;
import dev.gatehouse.registry.policies.PolicyDefinition.RateLimit;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rate-limit policies through the real faces of two Gatehouse replicas on one database: many
 * concurrent clients of the OpenAI face, half on each replica, share one limit (never more
 * admitted than the limit plus what refilled meanwhile, and not far under); a refusal is 429 with
 * {@code Retry-After} and each SDK's rate-limit headers; a direct MCP call is refused with a
 * JSON-RPC error; a durable task whose step is refused waits and completes, and one waiting can be
 * cancelled. The policies go in through {@link PolicyDao}; the model is a FAKE provider.
 */
class RateLimitsAcrossReplicasTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final String CHAT = "{\"model\":\"rl-gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16}";
  /** The shared limit of the concurrency test: per tenant, so every client counts against it. */
  static final int RPM = 30;

  static TestGatehouse a;
  static TestGatehouse b;
  static FakeProvider fake;

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeProvider();
    fake.script(FakeProvider.Reply.text("hello").withUsage(5, 3));
    a = TestGatehouse.start(c -> c.getAdmission().setMaxDirectCalls(64));
    b = a.replica(c -> c.getAdmission().setMaxDirectCalls(64));
    a.fakeModel("rl-gpt", fake.openaiBase());
    PolicyDao policies = a.db.jdbi().onDemand(PolicyDao.class);
    policies.insert(policy("rl-model", new AppliesTo(null, null, List.of("rl-gpt")), RPM, "tenant"));
    policies.insert(policy("rl-mcp", new AppliesTo(null, List.of("t.weather"), null), 2, "agent"));
    policies.insert(policy("rl-durable", new AppliesTo(null, List.of("t.add"), null), 60, "target"));
    policies.insert(policy("rl-slow", new AppliesTo(null, List.of("t.echo"), null), 1, "target"));
  }

  @AfterAll
  static void stop() throws Exception {
    try (FakeProvider f = fake;
        TestGatehouse ga = a;
        TestGatehouse gb = b) {
      // closed in reverse: the replica, then the first gateway and its database, then the fake
    }
  }

  /** A global policy (every tenant's calls). */
  static PolicyDefinition policy(String name, AppliesTo scope, int rpm, String per) {
    return new PolicyDefinition(name, null, PolicyDefinition.RATE_LIMIT, scope, new RateLimit(rpm, null, per), null, null, null, null);
  }

  static HttpResponse<String> post(String base, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void concurrentClientsOfTwoReplicasShareOneLimitAndTheRefusedGet429WithTheSdksHeaders() throws Exception {
    int requests = 120;
    ExecutorService pool = Executors.newFixedThreadPool(24);
    List<Future<HttpResponse<String>>> answers = new ArrayList<>();
    long started = System.nanoTime();
    try {
      for (int i = 0; i < requests; i++) {
        String base = i % 2 == 0 ? a.api() : b.api();
        answers.add(pool.submit(() -> post(base, "/v1/chat/completions", CHAT, "Authorization", "Bearer " + KEY_A)));
      }
      List<HttpResponse<String>> ok = new ArrayList<>();
      List<HttpResponse<String>> refused = new ArrayList<>();
      for (Future<HttpResponse<String>> f : answers) {
        HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
        (r.statusCode() == 200 ? ok : refused).add(r);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      double bound = RPM + RPM / 60.0 * seconds;
      System.out.printf(
          "rate limits across replicas: %d of %d admitted in %.2f s; limit %d, bound %.1f (%d + %.2f refilled), %.1f under the bound%n",
          ok.size(), requests, seconds, RPM, bound, RPM, RPM / 60.0 * seconds, bound - ok.size());
      assertThat(ok.size() + refused.size()).isEqualTo(requests);
      assertThat(ok.size()).as("never more than the limit and what refilled").isLessThanOrEqualTo((int) Math.floor(bound));
      assertThat(ok.size()).as("and not under the limit: a refused call spends nothing").isGreaterThanOrEqualTo(RPM);

      for (HttpResponse<String> r : refused) {
        assertThat(r.statusCode()).isEqualTo(429);
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("rate_limited");
        assertThat(error.path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(error.path("message").asText()).contains("rl-model@1").contains(RPM + " requests per minute per tenant");
        long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 60L / RPM);
        assertThat(r.headers().firstValue("x-ratelimit-limit-requests")).contains(Integer.toString(RPM));
        assertThat(r.headers().firstValue("x-ratelimit-remaining-requests")).contains("0");
        assertThat(r.headers().firstValue("x-ratelimit-reset-requests").orElseThrow()).matches("(\\d+m)?[\\d.]+m?s");
      }
      for (HttpResponse<String> r : ok) {
        long remaining = Long.parseLong(r.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
        assertThat(remaining).isBetween(0L, (long) RPM - 1);
        assertThat(r.headers().firstValue("x-ratelimit-limit-requests")).contains(Integer.toString(RPM));
      }
    } finally {
      pool.shutdownNow();
    }

    // The Anthropic face, on the other replica, is refused by the same spent limit in its own shape.
    HttpResponse<String> anthropic =
        post(b.api(), "/v1/messages", CHAT, "x-api-key", KEY_A, "anthropic-version", "2023-06-01");
    assertThat(anthropic.statusCode()).isEqualTo(429);
    JsonNode body = JSON.readTree(anthropic.body());
    assertThat(body.path("type").asText()).isEqualTo("error");
    assertThat(body.path("error").path("type").asText()).isEqualTo("rate_limit_error");
    assertThat(body.path("error").path("code").asText()).isEqualTo("rate_limited");
    assertThat(anthropic.headers().firstValue("retry-after")).isPresent();
    assertThat(anthropic.headers().firstValue("anthropic-ratelimit-requests-limit")).contains(Integer.toString(RPM));
    assertThat(anthropic.headers().firstValue("anthropic-ratelimit-requests-remaining")).contains("0");
    assertThat(anthropic.headers().firstValue("anthropic-ratelimit-requests-reset").orElseThrow()).endsWith("Z");
  }

  private static HttpResponse<String> mcp(String base, String session, String body) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(base + "/mcp"))
            .header("Authorization", "Bearer " + KEY_A)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      r.header("Mcp-Session-Id", session);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String initialize(String base) throws Exception {
    HttpResponse<String> r =
        mcp(base, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    assertThat(r.statusCode()).isEqualTo(200);
    String session = r.headers().firstValue("Mcp-Session-Id").orElseThrow();
    mcp(base, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    return session;
  }

  /** The JSON-RPC message of an answer sent as JSON or as one SSE event. */
  private static JsonNode message(HttpResponse<String> r) throws Exception {
    String body = r.body();
    int data = body.indexOf("data: ");
    return JSON.readTree(data >= 0 && !body.startsWith("{") ? body.substring(data + 6).lines().findFirst().orElseThrow() : body);
  }

  @Test
  void aDirectMcpCallPastTheLimitIsAJsonRpcErrorWithTheWait() throws Exception {
    String onA = initialize(a.api());
    String onB = initialize(b.api());
    String call = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\",\"arguments\":{\"city\":\"Oslo\"}}}";
    assertThat(message(mcp(a.api(), onA, call.formatted(2))).has("result")).isTrue();
    assertThat(message(mcp(b.api(), onB, call.formatted(3))).has("result")).isTrue();

    HttpResponse<String> refused = mcp(a.api(), onA, call.formatted(4));
    JsonNode error = message(refused).path("error");
    assertThat(error.path("code").asInt()).isEqualTo(-32003);
    assertThat(error.path("message").asText()).contains("rl-mcp@1").contains("2 requests per minute per agent");
    JsonNode data = error.path("data");
    assertThat(data.path("code").asText()).isEqualTo("rate_limited");
    assertThat(data.path("retryable").asBoolean()).isTrue();
    assertThat(data.path("retryAfter").asLong()).isBetween(1L, 30L);
    assertThat(data.path("policy").asText()).isEqualTo("rl-mcp@1");
    assertThat(data.path("limit").asInt()).isEqualTo(2);
    assertThat(data.path("remaining").asInt()).isZero();
  }

  private static JsonNode task(TestGatehouse g, String id, String wait) throws Exception {
    return JSON.readTree(g.get("/v1/tasks/" + id + "?wait=" + wait, KEY_A).body());
  }

  private static String submit(TestGatehouse g, String step) throws Exception {
    HttpResponse<String> r =
        g.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"input\":{},\"pipeline\":{\"steps\":[" + step + "]}}");
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201, 202);
    return JSON.readTree(r.body()).path("id").asText();
  }

  @Test
  void aDurableStepALimitRefusesWaitsAndCompletes() throws Exception {
    // Spend the bucket (60 a minute: one back each second) as other callers would have.
    RateBucketDao buckets = a.db.jdbi().onDemand(RateBucketDao.class);
    assertThat(buckets.take("rl:rl-durable:r:target:t.add", 60, 1, 60).admitted()).isTrue();

    String id = submit(b, "{\"id\":\"add\",\"tool\":\"t.add\",\"args\":{\"a\":1,\"b\":2}}");
    JsonNode done = task(b, id, "30s");
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    assertThat(done.path("result").path("add").path("sum").asDouble()).isEqualTo(3.0);

    JsonNode steps = JSON.readTree(b.get("/v1/tasks/" + id + "/trace", KEY_A).body()).path("steps");
    assertThat(steps.get(0).path("id").asText()).isEqualTo("add");
    assertThat(steps.get(0).path("error").path("code").asText()).as("the refused try").isEqualTo("rate_limited");
    assertThat(steps.get(steps.size() - 1).path("status").asText()).isEqualTo("COMPLETED");
  }

  @Test
  void aTaskWaitingForALimitCanBeCancelled() throws Exception {
    // One a minute, spent: the step waits about a minute.
    a.db.jdbi().onDemand(RateBucketDao.class).take("rl:rl-slow:r:target:t.echo", 1, 1 / 60.0, 1);
    String id = submit(a, "{\"id\":\"echo\",\"tool\":\"t.echo\",\"args\":{\"x\":1}}");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!a.get("/v1/tasks/" + id + "/trace", KEY_A).body().contains("rate_limited")) {
      assertThat(System.nanoTime()).as("the step was refused").isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(task(a, id, "0s").path("status").asText()).isEqualTo("RUNNING");

    assertThat(a.post("/v1/tasks/" + id + "/cancel", KEY_A, "").statusCode()).isIn(200, 202);
    assertThat(task(a, id, "20s").path("status").asText()).isEqualTo("CANCELED");
  }
}
