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
