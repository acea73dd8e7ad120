package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.tool.CallContext;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.McpServerStatus;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What an upstream MCP server can make Gatehouse's client side hold or do, bounded, each against
 * a hand-written fake ({@link FakeScriptedMcpServer}): an answer too large or not JSON fails its
 * request at once; a listening stream the server ends at once with {@code retry: 0} is not reopened
 * in a loop; a list that pages without end stops discovery; progress messages of any size keep a
 * durable call's result (and its heartbeats) small.
 */
class McpUpstreamBoundsTest {
  private static final Duration LONG = Duration.ofHours(1); // no periodic checks during a test

  private static McpAsyncClient client(String url) {
    return McpClient.async(StreamableHttpClientTransport.builder(url).jsonMapper(McpJson.MAPPER).build())
        .clientInfo(new McpSchema.Implementation("t", "1"))
        .jsonSchemaValidator(McpJson.PASS_THROUGH)
        .requestTimeout(Duration.ofSeconds(60)) // longer than the test waits: a request that waited for it failed the test
        .build();
  }

  private static McpServerDefinition server(String name, String url) {
    return new McpServerDefinition(
        name, null, McpServerDefinition.STREAMABLE_HTTP, url, null, null, null, null, null, null,
        Duration.ofSeconds(10), Duration.ofSeconds(2), null, null, null, null);
  }

  private static String dataCode(McpError e) {
    return String.valueOf(((Map<?, ?>) e.getJsonRpcError().data()).get("code"));
  }

  @Test
  void anAnswerOverTheCapOrNotJsonFailsItsRequestAtOnce() throws Exception {
    int big = StreamableHttpSession.MAX_JSON_BYTES + 1024;
    FakeScriptedMcpServer.Script script =
        new FakeScriptedMcpServer.Script() {
          @Override
          public void answer(HttpExchange ex, String method, String id, JsonNode msg) throws IOException {
            String uri = msg.path("params").path("uri").asText();
            if (uri.equals("fake://big")) {
              String text = "x".repeat(big);
              FakeScriptedMcpServer.json(ex, FakeScriptedMcpServer.result(id, "{\"contents\":[{\"uri\":\"fake://big\",\"text\":\"" + text + "\"}]}"));
            } else if (uri.equals("fake://garbage")) {
              FakeScriptedMcpServer.json(ex, "not JSON, and it says secret things");
            } else {
              FakeScriptedMcpServer.json(ex, FakeScriptedMcpServer.result(id, "{\"contents\":[{\"uri\":\"" + uri + "\",\"text\":\"small\"}]}"));
            }
          }
        };
    try (FakeScriptedMcpServer fake = new FakeScriptedMcpServer("{\"resources\":{}}", script)) {
      McpAsyncClient client = client(fake.url());
      try {
        client.initialize().block(Duration.ofSeconds(10));
        assertThatThrownBy(() -> client.readResource(new McpSchema.ReadResourceRequest("fake://big")).block(Duration.ofSeconds(20)))
            .isInstanceOfSatisfying(McpError.class, e -> {
              assertThat(e.getJsonRpcError().code()).isEqualTo(-32003);
              assertThat(dataCode(e)).isEqualTo("response_too_large");
              assertThat(e.getMessage()).contains("larger than the cap of 16777216 bytes");
            });
        assertThatThrownBy(() -> client.readResource(new McpSchema.ReadResourceRequest("fake://garbage")).block(Duration.ofSeconds(20)))
            .isInstanceOfSatisfying(McpError.class, e -> {
              assertThat(dataCode(e)).isEqualTo("upstream_error");
              assertThat(e.getMessage()).contains("not valid JSON").doesNotContain("secret");
            });
        // The session stands.
        McpSchema.ReadResourceResult small = client.readResource(new McpSchema.ReadResourceRequest("fake://small")).block(Duration.ofSeconds(10));
        assertThat(((McpSchema.TextResourceContents) small.contents().get(0)).text()).isEqualTo("small");
      } finally {
        client.close();
      }
    }
  }

  @Test
  void aListeningStreamEndedAtOnceWithRetryZeroIsNotReopenedInALoop() throws Exception {
    FakeScriptedMcpServer.Script script =
        new FakeScriptedMcpServer.Script() {
          @Override
          public void listen(HttpExchange ex) throws IOException {
            try (OutputStream out = FakeScriptedMcpServer.sse(ex)) {
              out.write(("retry: 0\nid: e1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                  + "\"params\":{\"level\":\"info\",\"data\":\"hello\"}}\n\n").getBytes(StandardCharsets.UTF_8));
            }
          }
        };
    try (FakeScriptedMcpServer fake = new FakeScriptedMcpServer("{\"tools\":{}}", script)) {
      McpAsyncClient client = client(fake.url());
      try {
        client.initialize().block(Duration.ofSeconds(10));
        Thread.sleep(3000);
        // Without a floor each session reopened it ~45 times a second; now once a second at most, backing off.
        assertThat(fake.count("GET")).isBetween(1, 6);
      } finally {
        client.close();
      }
    }
  }

  /** A fake whose tools/list always has a next page (one tool each, the same name). */
  private static FakeScriptedMcpServer endlessPages() throws IOException {
    return new FakeScriptedMcpServer(
        "{\"tools\":{}}",
        new FakeScriptedMcpServer.Script() {
          @Override
          public void answer(HttpExchange ex, String method, String id, JsonNode msg) throws IOException {
            if (!method.equals("tools/list")) {
              FakeScriptedMcpServer.json(ex, FakeScriptedMcpServer.result(id, "{}"));
              return;
            }
            String cursor = msg.path("params").path("cursor").asText("0");
            FakeScriptedMcpServer.json(ex, FakeScriptedMcpServer.result(id,
                "{\"tools\":[{\"name\":\"t\",\"inputSchema\":{\"type\":\"object\"}}],\"nextCursor\":\"" + cursor + "x\"}"));
          }
        });
  }

  @Test
  void aListThatPagesWithoutEndStopsDiscovery() throws Exception {
    try (FakeScriptedMcpServer fake = endlessPages()) {
      McpAsyncClient client = client(fake.url());
      try {
        McpSchema.InitializeResult init = client.initialize().block(Duration.ofSeconds(10));
        assertThatThrownBy(
                () -> assertTimeoutPreemptively(
                    Duration.ofSeconds(60), () -> McpDiscovery.discover(server("pager", fake.url()), client, init.capabilities())))
            .isInstanceOf(McpDiscovery.LimitException.class)
            .hasMessageContaining("tools has more than 100 pages");
        assertThat(fake.count("tools/list")).isEqualTo(McpDiscovery.MAX_PAGES);
      } finally {
        client.close();
      }
    }
    // Through the registry: the server is marked down, its status saying why.
    try (TestDatabase db = TestDatabase.create();
        FakeScriptedMcpServer fake = endlessPages()) {
      db.jdbi().onDemand(McpServerDao.class).insert(server("pager", fake.url()));
      try (McpUpstreams upstreams =
          new McpUpstreams(
              db.jdbi(), new McpConnector(new UpstreamCredentials(null, Clock.systemUTC())), new GatehouseMetrics(new CollectorRegistry()),
              LONG, LONG)) {
        assertThat(assertTimeoutPreemptively(Duration.ofSeconds(60), () -> upstreams.refreshNow("pager"))).isFalse();
        McpServerStatus status = db.jdbi().onDemand(McpCatalogDao.class).status("pager").orElseThrow();
        assertThat(status.state()).isEqualTo(McpServerStatus.DOWN);
        assertThat(status.error()).startsWith("discovery stopped: the list of tools has more than 100 pages");
      }
    }
  }

  @Test
  void largeProgressMessagesKeepADurableCallsResultAndHeartbeatsSmall() throws Exception {
    String huge = "p".repeat(200 * 1024);
    FakeScriptedMcpServer.Script script =
        new FakeScriptedMcpServer.Script() {
          @Override
          public void answer(HttpExchange ex, String method, String id, JsonNode msg) throws IOException {
            if (method.equals("tools/list")) {
              FakeScriptedMcpServer.json(ex, FakeScriptedMcpServer.result(id, "{\"tools\":[{\"name\":\"work\",\"inputSchema\":{\"type\":\"object\"}}]}"));
              return;
            }
            if (!method.equals("tools/call")) {
              FakeScriptedMcpServer.json(ex, FakeScriptedMcpServer.result(id, "{}"));
              return;
            }
            String token = msg.path("params").path("_meta").path("progressToken").toString();
            try (OutputStream out = FakeScriptedMcpServer.sse(ex)) {
              for (int i = 1; i <= 30; i++) {
                String note = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":" + token
                    + ",\"progress\":" + i + ",\"total\":30,\"message\":\"" + i + " " + huge + "\"}}";
                out.write(("event: message\ndata: " + note + "\n\n").getBytes(StandardCharsets.UTF_8));
              }
              out.write(("event: message\ndata: " + FakeScriptedMcpServer.result(id, "{\"content\":[{\"type\":\"text\",\"text\":\"done\"}],\"isError\":false}")
                  + "\n\n").getBytes(StandardCharsets.UTF_8));
            }
          }
        };
    try (TestDatabase db = TestDatabase.create();
        FakeScriptedMcpServer fake = new FakeScriptedMcpServer("{\"tools\":{}}", script)) {
      McpServerDefinition def = server("worker", fake.url());
      db.jdbi().onDemand(McpServerDao.class).insert(def);
      McpConnector connector = new McpConnector(new UpstreamCredentials(null, Clock.systemUTC()));
      try (McpUpstreams upstreams = new McpUpstreams(db.jdbi(), connector, new GatehouseMetrics(new CollectorRegistry()), LONG, LONG)) {
        McpToolCalls calls = new McpToolCalls(upstreams, connector);
        List<String> heartbeats = new CopyOnWriteArrayList<>();
        CallContext ctx = new CallContext("task-1", "act-1", 1, (p, total, message) -> heartbeats.add(message));
        McpToolResolver.McpItem tool =
            new McpToolResolver.McpItem(def, McpCatalogEntry.TOOL, "work", "worker.work", McpJson.OBJECT_MAPPER.createObjectNode());
        ToolCallResult result = calls.call(tool, McpJson.OBJECT_MAPPER.createObjectNode(), ctx, calls.sharedRoute());

        assertThat(result.status()).isEqualTo(200);
        assertThat(heartbeats).hasSize(30).allSatisfy(m -> assertThat(m).hasSize(ToolProgress.MAX_MESSAGE_CHARS).endsWith("\u2026"));
        List<ToolProgress> kept = result.progress();
        assertThat(kept).isNotEmpty().allSatisfy(p -> assertThat(p.message().length()).isLessThanOrEqualTo(ToolProgress.MAX_MESSAGE_CHARS));
        assertThat(kept.stream().mapToInt(p -> p.message().length()).sum()).isLessThanOrEqualTo(ToolCallResult.MAX_PROGRESS_CHARS);
        assertThat(kept.get(kept.size() - 1).message()).as("the latest are kept").startsWith("30 ppp");
        assertThat(kept.get(kept.size() - 1).progress()).isEqualTo(30.0);
        // What the activity returns, serialized as the engine would: far below its 2 MB payload limit.
        assertThat(McpJson.OBJECT_MAPPER.writeValueAsBytes(result).length).isLessThan(64 * 1024);
      }
    }
  }
}
