package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.CapturedLogs;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the pass-through methods let through, against a hand-written fake upstream ({@link
 * FakeRawMcpUpstream}): completion of a resource template is checked as a read of it is; an
 * answer too large or not JSON fails the request at once; and the upstream's notifications to an
 * agent that has no GET stream to take them leave no error in the log. Agent B may use only
 * {@code t.*} and is denied {@code fake.*}.
 */
class McpPassThroughBoundsTest {
  private static final String TEMPLATE = "fake://item/{id}";
  private static TestGatehouse g;
  private static FakeRawMcpUpstream fake;

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeRawMcpUpstream();
    g = TestGatehouse.start();
    AgentDao agents = g.db.jdbi().onDemand(AgentDao.class);
    Agent b = agents.page(null, null, 100).stream().filter(a -> a.name().equals("agent-b")).findFirst().orElseThrow();
    agents.update(b.id(), b.name(), b.subject(),
        new Permissions(new AccessList(List.of("t.*"), List.of("fake.*")), AccessList.NONE, AccessList.ALL));
    // A long timeout: a request that waited for it would outlast the agent's client (20 s).
    g.db.jdbi().onDemand(McpServerDao.class).insert(
        new McpServerDefinition(
            "fake", null, McpServerDefinition.STREAMABLE_HTTP, fake.url(), null, null, null, null, null, null,
            Duration.ofSeconds(60), null, null, null, McpServerDefinition.DIRECT, null));
    g.db.jdbi().onDemand(VirtualServerDao.class).insert(new VirtualServer("bounds-vs", null, "fake only", List.of("fake.echo")));
    try (McpSyncClient client = McpGatewayTest.client(g, KEY_A, "/mcp")) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (client.listResourceTemplates().resourceTemplates().stream().noneMatch(t -> t.uriTemplate().equals(TEMPLATE))) {
        assertThat(System.nanoTime()).as("the fake upstream discovered in time").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  @AfterAll
  static void stop() {
    if (g != null) {
      g.close();
    }
    if (fake != null) {
      fake.close();
    }
  }

  private static McpSchema.CompleteRequest completeTemplate() {
    return new McpSchema.CompleteRequest(
        new McpSchema.ResourceReference(TEMPLATE), new McpSchema.CompleteRequest.CompleteArgument("id", "a"));
  }

  /** A new agent of agent-a's tenant, named {@code name}, with the tool permissions {@code tools} (JSON): its id and a key of it. */
  private static String[] agentOfTenantA(String name, String tools) {
    String tenant = g.db.jdbi().onDemand(AgentDao.class).page(null, null, 100).stream()
        .filter(a -> a.name().equals("agent-a")).findFirst().orElseThrow().tenantId();
    HttpResponse<String> created = g.post("/admin/v1/agents", TestGatehouse.ADMIN_KEY,
        "{\"tenant\":\"" + tenant + "\",\"name\":\"" + name + "\",\"tools\":" + tools + "}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String agentId = TestGatehouse.json(created).get("id").asText();
    HttpResponse<String> keyed = g.post("/admin/v1/agents/" + agentId + "/keys", TestGatehouse.ADMIN_KEY, "");
    assertThat(keyed.statusCode()).as(keyed.body()).isEqualTo(201);
    return new String[] {agentId, TestGatehouse.json(keyed).get("key").asText()};
  }

  private static String dataCode(McpError e) {
    return String.valueOf(((Map<?, ?>) e.getJsonRpcError().data()).get("code"));
  }

  @Test
  void completionOfATemplateTheAgentMayNotUseIsRefusedAsAReadOfItIs() {
    try (McpSyncClient allowed = McpGatewayTest.client(g, KEY_A, "/mcp")) {
      assertThat(allowed.completeCompletion(completeTemplate()).completion().values()).containsExactly("from-upstream");
    }
    int asked = fake.completions.get();
    try (McpSyncClient denied = McpGatewayTest.client(g, KEY_B, "/mcp")) {
      assertThatThrownBy(() -> denied.readResource(new McpSchema.ReadResourceRequest("fake://item/1")))
          .isInstanceOfSatisfying(McpError.class, e -> assertThat(dataCode(e)).isEqualTo("unknown_resource"));
      assertThatThrownBy(() -> denied.completeCompletion(completeTemplate()))
          .isInstanceOfSatisfying(McpError.class, e -> {
            assertThat(dataCode(e)).isEqualTo("unknown_resource");
            assertThat(e.getJsonRpcError().code()).isEqualTo(-32002);
          });
    }
    // A virtual server shows tools only: no resource, so no completion of one either.
    try (McpSyncClient virtual = McpGatewayTest.client(g, KEY_A, "/mcp/bounds-vs")) {
      assertThatThrownBy(() -> virtual.completeCompletion(completeTemplate()))
          .isInstanceOfSatisfying(McpError.class, e -> assertThat(dataCode(e)).isEqualTo("unknown_resource"));
    }
    assertThat(fake.completions.get()).as("the upstream was not asked for the refused completions").isEqualTo(asked);
  }

  /**
   * A resource permission holds for the resource read, not only for the URI as written: an agent
   * allowed the template's items and denied {@code fake://secret} read it as
   * {@code fake://item/../secret}, which the template matched and the upstream's URL parser
   * resolved (a probe, against the TypeScript SDK). Dot segments (plain, percent-encoded, after a
   * backslash) and control characters are refused before any upstream sees them; a simple
   * template variable no longer matches across a {@code /}; and an answer that carries another
   * resource than the agent may read is refused. Every refusal is audited.
   */
  @Test
  void aResourcePermissionHoldsForWhatIsReadNotOnlyForTheUriAsWritten() throws Exception {
    String[] agent = agentOfTenantA("items-only", "{\"allow\":[\"fake.fake://item/*\"],\"deny\":[\"fake.fake://secret\"]}");
    String agentId = agent[0];
    String key = agent[1];
    int readsBefore = fake.reads.size();
    try (McpSyncClient items = McpGatewayTest.client(g, key, "/mcp")) {
      assertThat(items.readResource(new McpSchema.ReadResourceRequest("fake://item/7")).contents()).hasSize(1);
      for (String traversing : List.of(
          "fake://item/../secret", "fake://item/%2e%2e/secret", "fake://item/%2E./secret", "fake://item/..%2Fsecret",
          "fake://item/..\\secret", "fake://item/%252e%252e%252fsecret", "fake://item/.\t./secret", "fake://item/./x")) {
        assertThatThrownBy(() -> items.readResource(new McpSchema.ReadResourceRequest(traversing)))
            .as(traversing)
            .isInstanceOfSatisfying(McpError.class, e -> assertThat(dataCode(e)).isEqualTo("invalid_params"));
      }
      // {id} is one segment, as the SDKs' own matchers read it: fake://item/a/b is no item.
      assertThatThrownBy(() -> items.readResource(new McpSchema.ReadResourceRequest("fake://item/a/b")))
          .isInstanceOfSatisfying(McpError.class, e -> assertThat(dataCode(e)).isEqualTo("unknown_resource"));
      assertThat(fake.reads.subList(readsBefore, fake.reads.size())).containsExactly("fake://item/7");
      // The upstream answers fake://item/elsewhere with fake://secret: refused as not found.
      assertThatThrownBy(() -> items.readResource(new McpSchema.ReadResourceRequest("fake://item/elsewhere")))
          .isInstanceOfSatisfying(McpError.class, e -> assertThat(dataCode(e)).isEqualTo("unknown_resource"));
      assertThatThrownBy(() -> items.readResource(new McpSchema.ReadResourceRequest("fake://secret")))
          .isInstanceOfSatisfying(McpError.class, e -> assertThat(dataCode(e)).isEqualTo("unknown_resource"));
    }
    g.application().audit().flush();
    List<String> rows = new java.util.ArrayList<>();
    for (JsonNode r : TestGatehouse.json(g.get("/admin/v1/audit?agent=" + agentId + "&limit=200", TestGatehouse.ADMIN_KEY)).path("items")) {
      if (r.path("action").asText().startsWith("mcp.resource.")) {
        rows.add(r.path("action").asText() + " " + r.path("target").asText("-") + " " + r.path("decision").asText() + " "
            + r.path("outcome").asText() + " " + r.path("policy").asText("-"));
      }
    }
    java.util.Collections.reverse(rows); // the audit lists newest first
    List<String> expected = new java.util.ArrayList<>();
    expected.add("mcp.resource.read fake.fake://item/{id} allow ok -");
    for (int i = 0; i < 8; i++) {
      expected.add("mcp.resource.read - deny invalid_params -");
    }
    expected.add("mcp.resource.read - deny unknown_resource -"); // fake://item/a/b: no such item
    expected.add("mcp.resource.read fake.fake://item/{id} deny unknown_resource access"); // answered as fake://secret
    expected.add("mcp.resource.read - deny unknown_resource -"); // fake://secret: not listed, so no such item
    assertThat(rows).containsExactlyElementsOf(expected);
  }

  /**
   * An upstream's resource update reaches the agent as its URI, and only for a resource the agent
   * may read; Gatehouse does not read the resource itself. The SDK's client read each updated
   * resource back from the upstream, subscribed or not, for a URI it then relayed: a probe's
   * server made Gatehouse download a 15 MB resource 30 times.
   */
  @Test
  void aResourceUpdateReachesTheAgentAsItsUriWithoutARead() throws Exception {
    String[] agent = agentOfTenantA("watcher", "{\"allow\":[\"fake.fake://item/*\"]}");
    String agentId = agent[0];
    String key = agent[1];
    java.util.concurrent.CountDownLatch updated = new java.util.concurrent.CountDownLatch(1);
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    // The agent's own SDK client reads an updated resource back (through Gatehouse): one read.
    try (McpSyncClient watcher = McpGatewayTest.client(g, key, "/mcp", spec -> spec.resourcesUpdateConsumer(contents -> {
      contents.forEach(c -> seen.add(c.uri()));
      updated.countDown();
    }))) {
      watcher.subscribeResource(new McpSchema.SubscribeRequest("fake://item/watched"));
      assertThat(updated.await(20, java.util.concurrent.TimeUnit.SECONDS)).as("the update reached the agent").isTrue();
      Thread.sleep(500); // a read Gatehouse made of its own would have come with the notification
    }
    assertThat(seen).containsExactly("fake://item/watched");
    assertThat(fake.reads.stream().filter(u -> u.equals("fake://item/watched")).count()).as("reads of the upstream").isEqualTo(1);
    // fake://secret, which the watcher may not read, was not relayed: the agent's client made no read of it.
    g.application().audit().flush();
    List<String> rows = new java.util.ArrayList<>();
    for (JsonNode r : TestGatehouse.json(g.get("/admin/v1/audit?agent=" + agentId + "&limit=200", TestGatehouse.ADMIN_KEY)).path("items")) {
      rows.add(r.path("action").asText() + " " + r.path("decision").asText() + " " + r.path("outcome").asText());
    }
    assertThat(rows).containsExactlyInAnyOrder("mcp.resource.subscribe allow ok", "mcp.resource.read allow ok");
  }

  /**
   * Resource URIs carry no server prefix, so two servers may list the same one: a read goes to the
   * first the agent may read. It went to the first of all, and an agent allowed only the second's
   * resources saw the URI listed and could not read it.
   */
  @Test
  void aUriTwoServersListIsReadFromTheOneTheAgentMayRead() throws Exception {
    String[] agent = agentOfTenantA("second-only", "{\"allow\":[\"zfake.*\"]}");
    String agentId = agent[0];
    String key = agent[1];
    // The same upstream again, after "fake" in name order: the same template, fake://item/{id}.
    g.db.jdbi().onDemand(McpServerDao.class).insert(
        new McpServerDefinition(
            "zfake", null, McpServerDefinition.STREAMABLE_HTTP, fake.url(), null, null, null, null, null, null,
            Duration.ofSeconds(60), null, null, null, McpServerDefinition.DIRECT, null));
    try (McpSyncClient second = McpGatewayTest.client(g, key, "/mcp")) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (second.listResourceTemplates().resourceTemplates().stream().noneMatch(t -> t.uriTemplate().equals(TEMPLATE))) {
        assertThat(System.nanoTime()).as("the second registration discovered in time").isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(second.readResource(new McpSchema.ReadResourceRequest("fake://item/9")).contents()).hasSize(1);
    } finally {
      g.delete("/admin/v1/mcp-servers/zfake", TestGatehouse.ADMIN_KEY);
    }
    g.application().audit().flush();
    JsonNode rows = TestGatehouse.json(g.get("/admin/v1/audit?agent=" + agentId + "&limit=10", TestGatehouse.ADMIN_KEY)).path("items");
    assertThat(rows.get(0).path("target").asText()).isEqualTo("zfake.fake://item/{id}");
    assertThat(rows.get(0).path("outcome").asText()).isEqualTo("ok");
  }

  @Test
  void anAnswerOverTheCapOrNotJsonFailsTheRequestAtOnce() {
    try (McpSyncClient client = McpGatewayTest.client(g, KEY_A, "/mcp")) {
      // Without a bound, the whole body was read and relayed; unreadable, the request waited out its timeout (60 s here).
      assertThatThrownBy(() -> client.readResource(new McpSchema.ReadResourceRequest("fake://big")))
          .isInstanceOfSatisfying(McpError.class, e -> {
            assertThat(dataCode(e)).isEqualTo("response_too_large");
            assertThat(e.getMessage()).contains("16777216 bytes");
          });
      assertThatThrownBy(() -> client.readResource(new McpSchema.ReadResourceRequest("fake://garbage")))
          .isInstanceOfSatisfying(McpError.class, e -> {
            assertThat(dataCode(e)).isEqualTo("upstream_error");
            assertThat(e.getMessage()).contains("not valid JSON").doesNotContain("this is not JSON");
          });
      // The session goes on.
      McpSchema.ReadResourceResult item = client.readResource(new McpSchema.ReadResourceRequest("fake://item/7"));
      assertThat(((McpSchema.TextResourceContents) item.contents().get(0)).text()).isEqualTo("item text");
    }
  }

  /** A probe's upstream resource held half of an emoji alone: the SDK's writer sent three bytes that are not UTF-8. */
  @Test
  void aLoneHalfOfAPairInAPassedThroughAnswerGoesOutEscaped() throws Exception {
    String endpoint = g.api() + "/mcp";
    String session = McpWire.initialize(endpoint, KEY_A);
    HttpResponse<String> read =
        McpWire.post(endpoint, KEY_A, session,
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\",\"params\":{\"uri\":\"fake://item/half\"}}");
    assertThat(read.body()).as("bytes that are not UTF-8 decode as U+FFFD").doesNotContain("\ufffd").contains("half \\ud83d alone");
    assertThat(McpWire.message(read.body()).at("/result/contents/0/text").asText()).isEqualTo("half " + (char) 0xD83D + " alone");
  }

  @Test
  void notificationsToAnAgentWithoutAGetStreamLeaveNoErrorInTheLog() throws Exception {
    try (CapturedLogs logged = CapturedLogs.of("io.modelcontextprotocol", Level.WARN)) {
      String endpoint = g.api() + "/mcp";
      String session = McpWire.initialize(endpoint, KEY_A); // and never opens its GET stream
      int sent = fake.notificationsSent.get();
      HttpResponse<String> read =
          McpWire.post(endpoint, KEY_A, session,
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\",\"params\":{\"uri\":\"fake://item/1\"}}");
      JsonNode answer = McpWire.message(read.body());
      assertThat(answer.path("result").path("contents").get(0).path("text").asText()).as(read.body()).isEqualTo("item text");
      // The upstream's listening stream sends its notifications a second after it opened: after the read.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (fake.notificationsSent.get() < sent + 2 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(fake.notificationsSent.get()).as("the upstream sent its notifications").isGreaterThanOrEqualTo(sent + 2);
      Thread.sleep(1000); // they are handled
      assertThat(logged.messagesButJettyAssertions()).noneMatch(m -> m.contains("notification") || m.contains("Stream unavailable"));
    }
  }
}
