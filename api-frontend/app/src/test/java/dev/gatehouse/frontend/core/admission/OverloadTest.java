package dev.gatehouse.frontend.core.admission;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.frontend.testing.LingerAfterAnswer;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Admission control end to end: a real Gatehouse (PostgreSQL, the Temporal test server, a real
 * upstream) with small limits. Open tasks are held open by a tool that answers only when released.
 */
class OverloadTest {
  static TestGatehouse gh;
  static final LingerAfterAnswer LINGER = new LingerAfterAnswer();
  private final List<String> held = new ArrayList<>();

  static void smallLimits(GatehouseConfiguration c) {
    c.getAdmission().setMaxOpenTasksPerTenant(2);
    c.getAdmission().setMaxOpenTasks(3);
    c.getAdmission().setMaxDirectCalls(1);
    c.getMcp().setMaxSessions(3);
    c.getMcp().setMaxSessionsPerAgent(2);
  }

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start(OverloadTest::smallLimits, env -> LINGER.install(env, "/mcp"));
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  @AfterEach
  void releaseEverything() {
    held.forEach(gh.tools::release);
    // Every task of this test has ended before the next test counts open tasks.
    for (String key : List.of(KEY_A, KEY_B)) {
      for (JsonNode t : json(gh.get("/v1/tasks?status=RUNNING&limit=200", key)).path("tasks")) {
        gh.await(key, t.path("id").asText());
      }
    }
  }

  /** A one-step pipeline that stays open until {@code name} is released. */
  private String hold(String name) {
    held.add(name);
    return "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"" + name + "\"}}]}}";
  }

  private static void assertOverloaded(HttpResponse<String> r, String limit, int max) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    JsonNode error = json(r).path("error");
    assertThat(error.path("code").asText()).isEqualTo("overloaded");
    assertThat(error.path("details").path("limit").asText()).isEqualTo(limit);
    assertThat(error.path("details").path("max").asInt()).isEqualTo(max);
    long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isBetween(1L, 30L);
    assertThat(error.path("details").path("retryAfter").asLong()).isEqualTo(retryAfter);
  }

  @Test
  void aSaturatedTenantIsRefusedOthersAreNotUntilTheGlobalLimitAndAnEndedTaskFreesItsSlot() throws Exception {
    HttpResponse<String> first = gh.post("/v1/tasks", KEY_A, hold("a1"), "Idempotency-Key", "a1");
    assertThat(first.statusCode()).isEqualTo(202);
    String a1 = json(first).path("id").asText();
    gh.submit(KEY_A, hold("a2"));

    assertOverloaded(gh.post("/v1/tasks", KEY_A, hold("a3")), "tenantOpenTasks", 2);
    assertThat(json(gh.get("/v1/tasks?status=RUNNING", KEY_A)).path("tasks")).as("a refusal leaves no task behind").hasSize(2);

    // The task already accepted under this Idempotency-Key is returned, not refused.
    HttpResponse<String> again = gh.post("/v1/tasks", KEY_A, hold("a1"), "Idempotency-Key", "a1");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(json(again).path("id").asText()).isEqualTo(a1);

    // Tenant beta is not refused for alpha's tasks, until all tenants together reach the global limit.
    gh.submit(KEY_B, hold("b1"));
    assertOverloaded(gh.post("/v1/tasks", KEY_B, hold("b2")), "openTasks", 3);

    // Another replica on the same database counts the same open tasks.
    try (TestGatehouse replica = gh.replica(OverloadTest::smallLimits)) {
      assertOverloaded(replica.post("/v1/tasks", KEY_A, hold("a3")), "tenantOpenTasks", 2);
    }

    gh.tools.release("a1");
    assertThat(gh.await(a1).path("status").asText()).isEqualTo("COMPLETED");
    assertThat(gh.post("/v1/tasks", KEY_A, hold("a3")).statusCode()).as("the ended task freed its slot").isEqualTo(202);
  }

  /** An MCP initialize request. */
  private static final String INIT =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
          + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

  @Test
  void mcpSessionsAreBoundedPerAgentAndPerReplica() throws Exception {
    String endpoint = gh.api() + "/mcp";
    List<String> opened = new ArrayList<>();
    String otherId = null;
    try {
      // One agent takes its share (2), not the replica's 3.
      HttpResponse<String> r;
      while ((r = McpWire.post(endpoint, KEY_B, null, INIT)).statusCode() == 200) {
        opened.add(r.headers().firstValue("Mcp-Session-Id").orElseThrow());
        assertThat(opened.size()).as("sessions before a refusal").isLessThanOrEqualTo(2);
      }
      assertSessionsRefused(r, "agentSessions", 2);

      // Another agent still gets one, which fills the replica; then it is refused too.
      HttpResponse<String> other = McpWire.post(endpoint, KEY_A, null, INIT);
      assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
      otherId = other.headers().firstValue("Mcp-Session-Id").orElseThrow();
      assertSessionsRefused(McpWire.post(endpoint, KEY_A, null, INIT), "sessions", 3);

      // An ended session makes room, for its own agent.
      endSession(endpoint, opened.remove(0));
      HttpResponse<String> again = McpWire.post(endpoint, KEY_B, null, INIT);
      assertThat(again.statusCode()).isEqualTo(200);
      opened.add(again.headers().firstValue("Mcp-Session-Id").orElseThrow());
    } finally {
      opened.forEach(id -> endSession(endpoint, id));
      if (otherId != null) {
        endSession(endpoint, otherId, KEY_A);
      }
    }
  }

  /** Initializes that arrive together are counted together: no more sessions start than the limits allow. */
  @Test
  void initializesArrivingTogetherDoNotPassTheLimits() throws Exception {
    String endpoint = gh.api() + "/mcp";
    List<String> opened = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      for (int round = 0; round < 5; round++) {
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          sent.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
              go.await();
              return McpWire.post(endpoint, KEY_B, null, INIT);
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }, clients));
        }
        go.countDown();
        int started = 0;
        for (var f : sent) {
          HttpResponse<String> r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
          if (r.statusCode() == 200) {
            started++;
            opened.add(r.headers().firstValue("Mcp-Session-Id").orElseThrow());
          } else {
            assertSessionsRefused(r, "agentSessions", 2);
          }
        }
        assertThat(started).as("sessions started in round " + round).isEqualTo(2);
        // The refused initializes hold nothing: the replica's third place is free for another agent.
        HttpResponse<String> other = McpWire.post(endpoint, KEY_A, null, INIT);
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
        String otherId = other.headers().firstValue("Mcp-Session-Id").orElseThrow();
        assertSessionsRefused(McpWire.post(endpoint, KEY_A, null, INIT), "sessions", 3);
        assertThat(endSession(endpoint, otherId, KEY_A)).isEqualTo(200);
        opened.forEach(id -> endSession(endpoint, id));
        opened.clear();
      }
    } finally {
      clients.shutdownNow();
      opened.forEach(id -> endSession(endpoint, id));
    }
  }

  private static void assertSessionsRefused(HttpResponse<String> r, String limit, int max) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    JsonNode data = json(r).path("error").path("data");
    assertThat(data.path("code").asText()).isEqualTo("overloaded");
    assertThat(data.path("retryable").asBoolean()).isTrue();
    assertThat(data.path("limit").asText()).isEqualTo(limit);
    assertThat(data.path("max").asInt()).isEqualTo(max);
  }

  private static void endSession(String endpoint, String id) {
    endSession(endpoint, id, KEY_B);
  }

  private static int endSession(String endpoint, String id, String key) {
    return gh.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(endpoint)).DELETE().header("Mcp-Session-Id", id), key).statusCode();
  }

  @Test
  void mcpCallsAreRefusedWithTheJsonRpcErrorAnd429() throws Exception {
    gh.submit(KEY_A, hold("m1"));
    gh.submit(KEY_A, hold("m2"));
    String endpoint = gh.api() + "/mcp";
    String session = McpWire.initialize(endpoint, KEY_A);

    // A durable call (t.echo is a POST tool) would start a task: refused.
    HttpResponse<String> durable =
        McpWire.post(endpoint, KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"t.echo\",\"arguments\":{\"x\":1}}}");
    assertThat(durable.statusCode()).as(durable.body()).isEqualTo(429);
    assertThat(Long.parseLong(durable.headers().firstValue("Retry-After").orElseThrow())).isPositive();
    JsonNode answer = McpWire.message(durable.body());
    assertThat(answer.path("id").asInt()).isEqualTo(7);
    assertThat(answer.path("error").path("code").asInt()).isEqualTo(-32004);
    JsonNode data = answer.path("error").path("data");
    assertThat(data.path("code").asText()).isEqualTo("overloaded");
    assertThat(data.path("retryable").asBoolean()).isTrue();
    assertThat(data.path("limit").asText()).isEqualTo("tenantOpenTasks");

    // A direct call (t.weather, t.hold: GET tools) starts no task, so open tasks do not refuse it...
    HttpResponse<String> direct =
        McpWire.post(endpoint, KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\",\"arguments\":{\"city\":\"Oslo\"}}}");
    assertThat(direct.statusCode()).isEqualTo(200);
    assertThat(McpWire.message(direct.body()).path("result").path("isError").asBoolean()).isFalse();

    // ...but direct calls in flight are bounded (admission.maxDirectCalls: 1 here).
    held.add("d1");
    CompletableFuture<HttpResponse<String>> running =
        CompletableFuture.supplyAsync(
            () ->
                McpWire.post(endpoint, KEY_A, session,
                    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"t.hold\",\"arguments\":{\"name\":\"d1\"}}}"));
    assertThat(gh.tools.arrived("d1").await(20, TimeUnit.SECONDS)).isTrue();
    HttpResponse<String> second =
        McpWire.post(endpoint, KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\",\"arguments\":{\"city\":\"Oslo\"}}}");
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(McpWire.message(second.body()).path("error").path("data").path("limit").asText()).isEqualTo("directCalls");
    gh.tools.release("d1");
    assertThat(McpWire.message(running.get(20, TimeUnit.SECONDS).body()).path("result").path("isError").asBoolean()).isFalse();
    assertThat(
            McpWire.post(endpoint, KEY_A, session,
                    "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\",\"arguments\":{\"city\":\"Oslo\"}}}")
                .statusCode())
        .as("the finished call gave its slot back")
        .isEqualTo(200);
    assertThat(endSession(endpoint, session, KEY_A)).as("the session's place is free for the next test").isEqualTo(200);
  }

  @Test
  void aDirectMcpCallWhoseAnswerHasGoneOutHoldsNoSlotWhileItsRequestEnds() throws Exception {
    // admission.maxDirectCalls is 1. The first call's answer leaves whole (its Content-Length
    // reached), then its request lingers in the test's filter before it ends: a next call sent at
    // once, on a connection of its own, finds the slot free.
    String endpoint = gh.api() + "/mcp";
    String session = McpWire.initialize(endpoint, KEY_A);
    try {
      LINGER.reset();
      HttpResponse<String> first =
          McpWire.post(endpoint, KEY_A, session,
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\",\"arguments\":{\"city\":\"Oslo\"}}}",
              LingerAfterAnswer.HEADER, "on");
      assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
      assertThat(McpWire.message(first.body()).path("result").path("isError").asBoolean()).isFalse();
      assertThat(LINGER.lingering().await(10, TimeUnit.SECONDS)).as("the first request lingers after its answer").isTrue();
      // A client of its own: on the shared client's pooled connection Jetty would read it only after
      // the first request had ended.
      HttpResponse<String> next =
          McpWire.post(
              java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build(),
              endpoint, KEY_A, session,
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"t.weather\",\"arguments\":{\"city\":\"Oslo\"}}}");
      assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
      assertThat(McpWire.message(next.body()).path("result").path("isError").asBoolean()).as(next.body()).isFalse();
      assertThat(LINGER.ended().getCount()).as("the next call was answered while the first request had not ended").isEqualTo(1);
    } finally {
      // Whatever failed, the first request and the session end before the next test counts them.
      LINGER.ended().await(10, TimeUnit.SECONDS);
      assertThat(endSession(endpoint, session, KEY_A)).as("the session's place is free for the next test").isEqualTo(200);
    }
  }
}
