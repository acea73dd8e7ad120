package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The egress check at connect time: a record a tenant admin wrote (egress-guarded) whose host
 * resolves, when called, to loopback is refused with {@code egress_refused} and its upstream sees
 * nothing; the same record written by a platform admin is called. The write-time check refuses
 * such a URL from a tenant admin, so the records are marked guarded here as a tenant admin's
 * write marks them (through the DAO), standing for a name re-pointed at loopback after the write.
 */
class EgressAtConnectTest {
  static TestGatehouse g;
  static NotesUpstream notes;
  static FakeProvider provider;

  @BeforeAll
  static void start() throws Exception {
    notes = new NotesUpstream();
    provider = new FakeProvider();
    g = TestGatehouse.start(c -> c.getMcp().setHealthInterval(io.dropwizard.util.Duration.milliseconds(300)));
  }

  @AfterAll
  static void stop() throws Exception {
    g.close();
    notes.close();
    provider.close();
  }

  private static JsonNode call(String session, String tool, String arguments) {
    HttpResponse<String> r =
        McpWire.post(g.api() + "/mcp", KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return McpWire.message(r.body());
  }

  @Test
  void aGuardedHttpToolWhoseHostIsLoopbackIsRefusedAndItsUpstreamSeesNothing() {
    ToolDao tools = g.db.jdbi().onDemand(ToolDao.class);
    HttpEndpoint http = new HttpEndpoint("POST", g.tools.base() + "/echo", Map.of());
    tools.insert(new ToolDefinition("eg.guarded", "echo", http, null, Duration.ofSeconds(5), RetrySpec.DEFAULT, null, null).withEgressGuarded(true));
    tools.insert(new ToolDefinition("eg.platform", "echo", http, null, Duration.ofSeconds(5), RetrySpec.DEFAULT, null, null));
    String session = McpWire.initialize(g.api() + "/mcp", KEY_A);

    int before = g.tools.requests.size();
    JsonNode refused = call(session, "eg.guarded", "{\"marker\":\"guarded-call\"}");
    assertThat(refused.path("result").path("isError").asBoolean()).as(refused.toString()).isTrue();
    assertThat(refused.path("result").path("_meta").toString()).contains("\"code\":\"egress_refused\"").contains("\"retryable\":false");
    assertThat(refused.path("result").path("content").get(0).path("text").asText())
        .contains("eg.guarded")
        .contains("resolves to an address this tenant may not reach");
    assertThat(g.tools.requests.size()).as("the upstream saw no request").isEqualTo(before);

    // The same URL written by a platform admin is called (and its pooled connection is not the guarded one's).
    JsonNode ok = call(session, "eg.platform", "{\"marker\":\"platform-call\"}");
    assertThat(ok.path("result").path("isError").asBoolean()).as(ok.toString()).isFalse();
    assertThat(g.tools.requests.size()).isEqualTo(before + 1);
    JsonNode again = call(session, "eg.guarded", "{\"marker\":\"guarded-again\"}");
    assertThat(again.path("result").path("_meta").toString()).as("no pooled connection of the platform's tool is reused")
        .contains("\"code\":\"egress_refused\"");
    assertThat(g.tools.requests.size()).isEqualTo(before + 1);
  }

  @Test
  void aGuardedModelProviderWhoseHostIsLoopbackIsRefusedAndTheProviderSeesNothing() {
    provider.script(FakeProvider.Reply.text("hello"));
    g.fakeModel("eg-open", provider.openaiBase());
    g.db.jdbi().onDemand(ProviderDao.class).insert(
        new ProviderDefinition("eg-guarded-provider", null, "openai", provider.openaiBase(), null, Duration.ofSeconds(5), null)
            .withEgressGuarded(true));
    HttpResponse<String> model =
        g.post("/admin/v1/models", ADMIN_KEY,
            "{\"name\":\"eg-guarded\",\"targets\":[{\"provider\":\"eg-guarded-provider\",\"model\":\"fake-model\"}],\"retry\":{\"maxAttempts\":1}}");
    assertThat(model.statusCode()).as(model.body()).isEqualTo(201);

    int before = provider.requests().size();
    HttpResponse<String> refused =
        g.post("/v1/chat/completions", KEY_A, "{\"model\":\"eg-guarded\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(502);
    assertThat(json(refused).path("error").path("code").asText()).as(refused.body()).isEqualTo("egress_refused");
    assertThat(json(refused).path("error").path("message").asText()).contains("may not reach");
    assertThat(provider.requests().size()).as("the provider saw no request").isEqualTo(before);

    HttpResponse<String> ok =
        g.post("/v1/chat/completions", KEY_A, "{\"model\":\"eg-open\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(provider.requests().size()).isEqualTo(before + 1);
  }

  @Test
  void anMcpServerRePointedAtLoopbackAfterItWasWrittenIsRefusedAtConnectTime() {
    McpServerDao servers = g.db.jdbi().onDemand(McpServerDao.class);
    McpServerDefinition server =
        new McpServerDefinition(
            "egn", null, McpServerDefinition.STREAMABLE_HTTP, notes.url(), null, null, null, null, null, null,
            Duration.ofSeconds(10), null, null, "egn", McpServerDefinition.DIRECT, null);
    servers.insert(server);
    McpWire.awaitTools(g, KEY_A, Duration.ofSeconds(30), "egn.write_note");
    String session = McpWire.initialize(g.api() + "/mcp", KEY_A);
    JsonNode ok = call(session, "egn.write_note", "{\"name\":\"a\",\"text\":\"one\"}");
    assertThat(ok.path("result").path("isError").asBoolean()).as(ok.toString()).isFalse();
    assertThat(notes.writes.get()).isEqualTo(1);

    // What a tenant admin's write stores: the same server, guarded. Its host is loopback.
    servers.upsert(server.withEgressGuarded(true));
    // (a new agent session each time: one opened before keeps its own upstream session)
    JsonNode refused = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      // (read-only, until the caches have seen the change)
      session = McpWire.initialize(g.api() + "/mcp", KEY_A);
      refused = call(session, "egn.read_note", "{\"name\":\"a\"}");
      if (refused.toString().contains("egress_refused")) {
        break;
      }
      McpWire.sleep(200);
    }
    assertThat(refused.toString()).as("a refusal with its own code").contains("\"code\":\"egress_refused\"");
    JsonNode write = call(session, "egn.write_note", "{\"name\":\"b\",\"text\":\"two\"}");
    assertThat(write.toString()).contains("\"code\":\"egress_refused\"").contains("may not reach");
    assertThat(notes.writes.get()).as("no call after the server became guarded reached it").isEqualTo(1);
    assertThat(g.get("/admin/v1/mcp-servers/egn", ADMIN_KEY).body()).contains("may not reach");
  }

  /**
   * A legacy SSE server a tenant admin wrote, whose host is loopback: refused before the transport
   * connects, so its status says so at once (it used to time out after connectTimeout inside the
   * SDK, "Did not observe any item or terminal signal"), and it sees no request.
   */
  @Test
  void aGuardedSseServerWhoseHostIsLoopbackIsRefusedAtOnce() throws Exception {
    java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpServer sse =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    sse.createContext("/", ex -> {
      requests.incrementAndGet();
      ex.sendResponseHeaders(404, -1);
      ex.close();
    });
    sse.start();
    try {
      String url = "http://127.0.0.1:" + sse.getAddress().getPort() + "/sse";
      g.db.jdbi().onDemand(McpServerDao.class).insert(
          new McpServerDefinition(
                  "egsse", null, McpServerDefinition.SSE, url, null, null, null, null, null, null,
                  Duration.ofSeconds(10), Duration.ofSeconds(10), null, "egsse", McpServerDefinition.DIRECT, null)
              .withEgressGuarded(true));
      long start = System.nanoTime();
      String status = "";
      while (System.nanoTime() - start < Duration.ofSeconds(6).toNanos()) {
        HttpResponse<String> r = g.get("/admin/v1/mcp-servers/egsse", ADMIN_KEY);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        status = r.body();
        if (status.contains("may not reach")) {
          break;
        }
        McpWire.sleep(100);
      }
      assertThat(status).as("refused well within the 10 s connect timeout").contains("may not reach").doesNotContain("Did not observe");
      assertThat(requests.get()).as("the server saw no request").isZero();
    } finally {
      sse.stop(0);
    }
  }
}
