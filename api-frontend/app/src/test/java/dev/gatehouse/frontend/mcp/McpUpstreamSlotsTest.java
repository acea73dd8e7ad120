package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MCP requests that wait on an upstream, against a fake upstream whose reads of {@code
 * fake://item/slow-*} answer only when released ({@link FakeRawMcpUpstream}) and the tool upstream's
 * {@code t.hold}: they take direct-call slots of their tenant ({@code
 * admission.maxDirectCallsPerTenant}), so one tenant at its share is refused with {@code 429
 * overloaded} and nothing is sent; and each admitted one runs at once on threads of its own, not
 * behind the others. {@link #SLOW} is more than Reactor's shared {@code boundedElastic} pool has
 * threads (10 a core), on which these requests used to wait their turn.
 */
class McpUpstreamSlotsTest {
  private static final int SLOW = 10 * Runtime.getRuntime().availableProcessors() + 4;
  private static TestGatehouse g;
  private static FakeRawMcpUpstream fake;
  /** The upstream sessions one tenant's agents may hold on the replica, here. */
  private static final int UPSTREAM_SESSIONS = 4;
  private static ExecutorService agents;
  private static String endpoint;

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeRawMcpUpstream();
    g = TestGatehouse.start(c -> {
      c.getAdmission().setMaxDirectCallsPerTenant(SLOW);
      c.getAdmission().setMaxDirectCalls(SLOW + 8);
      c.getMcp().setMaxUpstreamSessionsPerTenant(UPSTREAM_SESSIONS);
    });
    g.db.jdbi().onDemand(McpServerDao.class).insert(
        new McpServerDefinition(
            "fake", null, McpServerDefinition.STREAMABLE_HTTP, fake.url(), null, null, null, null, null, null,
            Duration.ofSeconds(60), null, null, null, McpServerDefinition.DIRECT, null));
    endpoint = g.api() + "/mcp";
    McpWire.awaitTools(g, KEY_A, Duration.ofSeconds(30), "fake.echo");
    agents = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void stop() {
    if (fake != null) {
      fake.releaseSlowReads();
    }
    if (g != null) {
      g.tools.holds.values().forEach(java.util.concurrent.CountDownLatch::countDown);
      g.close();
    }
    if (fake != null) {
      fake.close();
    }
    if (agents != null) {
      agents.shutdownNow();
    }
  }

  private static String read(int id, String uri) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"resources/read\",\"params\":{\"uri\":\"" + uri + "\"}}";
  }

  private static String holdCall(int id, String name) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"t.hold\",\"arguments\":{\"name\":\""
        + name + "\"}}}";
  }

  private static List<CompletableFuture<HttpResponse<String>>> sendAll(String session, List<String> bodies) {
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (String body : bodies) {
      sent.add(CompletableFuture.supplyAsync(() -> McpWire.post(endpoint, KEY_A, session, body), agents));
    }
    return sent;
  }

  private static void awaitCount(IntSupplier count, int expected, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (count.getAsInt() < expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(count.getAsInt()).as(what).isEqualTo(expected);
  }

  private static void assertRefusedForTheTenant(HttpResponse<String> refused) {
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    JsonNode error = McpWire.message(refused.body()).path("error");
    assertThat(error.path("code").asInt()).isEqualTo(-32004);
    assertThat(error.path("data").path("code").asText()).isEqualTo("overloaded");
    assertThat(error.path("data").path("limit").asText()).isEqualTo("tenantDirectCalls");
    assertThat(error.path("data").path("max").asInt()).isEqualTo(SLOW);
  }

  @Test
  void slowReadsRunAtOnceUpToTheTenantsShareBeyondWhichTheTenantIsRefusedAndOthersAreNot() throws Exception {
    String session = McpWire.initialize(endpoint, KEY_A);
    List<String> reads = new ArrayList<>();
    for (int i = 0; i < SLOW; i++) {
      reads.add(read(10 + i, "fake://item/slow-" + i));
    }
    List<CompletableFuture<HttpResponse<String>>> pending = sendAll(session, reads);
    try {
      // Before, at most 10 a core reached the upstream; the rest waited behind them on Reactor's shared threads.
      awaitCount(fake.slowReads::get, SLOW, "reads that reached the upstream at once");

      // The tenant's share is taken: refused at once, and nothing is sent.
      assertRefusedForTheTenant(McpWire.post(endpoint, KEY_A, session, read(9, "fake://item/slow-over")));
      Thread.sleep(200);
      assertThat(fake.slowReads.get()).as("the refused read was not sent").isEqualTo(SLOW);

      // Another tenant's agent is served meanwhile: its lists, and its own read of the same server.
      String other = McpWire.initialize(endpoint, KEY_B);
      HttpResponse<String> list = McpWire.post(endpoint, KEY_B, other, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
      assertThat(McpWire.message(list.body()).path("result").path("tools").size()).as(list.body()).isPositive();
      HttpResponse<String> otherRead = McpWire.post(endpoint, KEY_B, other, read(3, "fake://item/7"));
      assertThat(McpWire.message(otherRead.body()).path("result").path("contents").get(0).path("text").asText())
          .as(otherRead.body())
          .isEqualTo("item text");
    } finally {
      fake.releaseSlowReads();
    }
    for (CompletableFuture<HttpResponse<String>> answer : pending) {
      HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
      assertThat(McpWire.message(r.body()).path("result").path("contents").get(0).path("text").asText()).as(r.body()).isEqualTo("item text");
    }
    // Every slot came back with its answer.
    HttpResponse<String> after = McpWire.post(endpoint, KEY_A, session, read(4, "fake://item/8"));
    assertThat(McpWire.message(after.body()).path("result").path("contents").get(0).path("text").asText()).as(after.body()).isEqualTo("item text");
  }

  /**
   * A pass-through request is cancelled as a tools/call is: notifications/cancelled answers it at
   * once and gives its slot back (it held both until the server's timeout, 60 s here), and its id
   * cannot be taken by another request while it is in flight (both ran).
   */
  @Test
  void aSlowReadTheAgentCancelsIsAnsweredAtOnceAndItsIdIsNotReusedMeanwhile() throws Exception {
    String session = McpWire.initialize(endpoint, KEY_A);
    int before = fake.slowReads.get();
    List<CompletableFuture<HttpResponse<String>>> pending = sendAll(session, List.of(read(50, "fake://item/slow-cancel")));
    try {
      awaitCount(fake.slowReads::get, before + 1, "the read reached the upstream");
      HttpResponse<String> sameId = McpWire.post(endpoint, KEY_A, session, read(50, "fake://item/7"));
      assertThat(McpWire.message(sameId.body()).path("error").path("data").path("code").asText()).as(sameId.body()).isEqualTo("invalid_request");
      HttpResponse<String> cancel =
          McpWire.post(endpoint, KEY_A, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":50}}");
      assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
      HttpResponse<String> answered = pending.get(0).get(10, TimeUnit.SECONDS);
      assertThat(McpWire.message(answered.body()).path("error").path("data").path("code").asText()).as(answered.body()).isEqualTo("canceled");
    } finally {
      fake.releaseSlowReads();
    }
    // The id is free again once its request is over.
    HttpResponse<String> after = McpWire.post(endpoint, KEY_A, session, read(50, "fake://item/8"));
    assertThat(McpWire.message(after.body()).path("result").path("contents").get(0).path("text").asText()).as(after.body()).isEqualTo("item text");
  }

  /**
   * Each agent session opens its own session with each server it uses: one tenant's agents hold at
   * most {@code mcp.maxUpstreamSessionsPerTenant} of them on the replica (the upstream sessions
   * multiplied as sessions times servers, a listening stream each, with no bound). Past it a call
   * that would open another is refused, on the direct path and the pass-through methods alike,
   * nothing sent; another tenant is served; and a place comes back when a session ends.
   */
  @Test
  void oneTenantsUpstreamSessionsAreBoundedAndComeBackWhenItsSessionsEnd() throws Exception {
    String echo = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"fake.echo\",\"arguments\":{}}}";
    List<String> opened = new ArrayList<>();
    String refused = null;
    JsonNode refusal = null;
    // (other tests of this class may hold some of the tenant's places already: at most a few)
    for (int i = 0; i <= UPSTREAM_SESSIONS && refused == null; i++) {
      String session = McpWire.initialize(endpoint, KEY_A);
      JsonNode answer = McpWire.message(McpWire.post(endpoint, KEY_A, session, echo).body());
      if (answer.has("error")) {
        refused = session;
        refusal = answer.path("error");
      } else {
        assertThat(answer.path("result").path("isError").asBoolean()).as(answer.toString()).isFalse();
        opened.add(session);
      }
    }
    assertThat(refusal).as("a call past the tenant's upstream sessions is refused").isNotNull();
    assertThat(opened).isNotEmpty();
    assertThat(refusal.path("data").path("code").asText()).as(refusal.toString()).isEqualTo("overloaded");
    assertThat(refusal.path("message").asText()).contains("mcp.maxUpstreamSessionsPerTenant");
    JsonNode readRefused = McpWire.message(McpWire.post(endpoint, KEY_A, refused, read(2, "fake://item/1")).body()).path("error");
    assertThat(readRefused.path("data").path("code").asText()).as(readRefused.toString()).isEqualTo("overloaded");

    String other = McpWire.initialize(endpoint, KEY_B);
    JsonNode otherAnswer = McpWire.message(McpWire.post(endpoint, KEY_B, other, read(3, "fake://item/7")).body());
    assertThat(otherAnswer.path("result").path("contents").get(0).path("text").asText()).as(otherAnswer.toString()).isEqualTo("item text");

    HttpResponse<String> ended = McpWire.delete(endpoint, KEY_A, opened.get(0));
    assertThat(ended.statusCode()).as(ended.body()).isLessThan(300);
    JsonNode after = McpWire.message(McpWire.post(endpoint, KEY_A, refused, read(4, "fake://item/8")).body());
    assertThat(after.path("result").path("contents").get(0).path("text").asText()).as(after.toString()).isEqualTo("item text");
  }

  @Test
  void directHttpToolCallsRunAtOnceUpToTheTenantsShare() throws Exception {
    String session = McpWire.initialize(endpoint, KEY_A);
    List<String> calls = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < SLOW; i++) {
      names.add("slots-" + i);
      calls.add(holdCall(10 + i, "slots-" + i));
    }
    List<CompletableFuture<HttpResponse<String>>> pending = sendAll(session, calls);
    try {
      // Before, at most 10 a core of these calls reached the tool; the rest waited on Reactor's shared threads.
      awaitCount(() -> (int) names.stream().filter(n -> g.tools.arrived(n).getCount() == 0).count(), SLOW, "calls that reached the tool at once");
      assertRefusedForTheTenant(McpWire.post(endpoint, KEY_A, session, holdCall(9, "slots-over")));
      assertThat(g.tools.arrived("slots-over").getCount()).as("the refused call was not sent").isEqualTo(1);
    } finally {
      names.forEach(g.tools::release);
    }
    for (CompletableFuture<HttpResponse<String>> answer : pending) {
      HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
      assertThat(McpWire.message(r.body()).path("result").path("isError").asBoolean()).as(r.body()).isFalse();
    }
  }
}
