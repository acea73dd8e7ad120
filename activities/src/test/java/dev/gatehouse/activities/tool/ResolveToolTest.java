package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which tool a name means for a tenant, from the tools and MCP catalog in PostgreSQL. */
class ResolveToolTest {
  private static TestDatabase db;
  private static ResolveTool step;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    db.jdbi().useExtension(TenantDao.class, t -> {
      t.insert("ten_a", "a");
      t.insert("ten_b", "b");
    });
    db.jdbi().useExtension(ToolDao.class, tools -> {
      tools.insert(httpTool("a.notes", "ten_a"));
      tools.insert(httpTool("b.notes", "ten_b"));
      tools.insert(httpTool("global.time", null));
      tools.insert(httpTool("docs.search", "ten_a"));
    });
    mcpServer("docs", "ten_a", "search", "fetch");
    mcpServer("bdocs", "ten_b", "fetch");
    // No cache: every lookup reads what the test wrote.
    step = new ResolveTool(new ToolCatalog(db.jdbi(), Duration.ZERO), new McpToolResolver(db.jdbi(), Duration.ZERO));
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static ToolDefinition httpTool(String name, String tenant) {
    return new ToolDefinition(
        name, "", new HttpEndpoint("GET", "http://127.0.0.1:1/" + name, Map.of()), null, Duration.ofSeconds(1), RetrySpec.DEFAULT, tenant, null);
  }

  private static void mcpServer(String name, String tenant, String... tools) {
    db.jdbi().useExtension(McpServerDao.class, servers -> servers.insert(
        new McpServerDefinition(
            name, tenant, McpServerDefinition.STREAMABLE_HTTP, "http://127.0.0.1:1/mcp", null, null, null, null, null, null,
            null, null, null, null, null, null)));
    List<String> kinds = java.util.Arrays.stream(tools).map(t -> McpCatalogEntry.TOOL).toList();
    List<String> bodies =
        java.util.Arrays.stream(tools).map(t -> "{\"name\":\"" + t + "\",\"inputSchema\":{\"type\":\"object\"}}").toList();
    db.jdbi().useExtension(McpCatalogDao.class, catalog -> catalog.insertEntries(name, kinds, List.of(tools), bodies));
  }

  private static ToolExchange resolve(String tool, String tenant) {
    ToolExchange x =
        new ToolExchange(
            ToolCall.of(tool, JsonNodeFactory.instance.objectNode(), new Caller(tenant, "agt_x", List.of()), new CallContext(null, null, 1)));
    assertThat(step.before(x).allowed()).isTrue();
    return x;
  }

  private static void assertUnknown(String tool, String tenant) {
    assertThatThrownBy(() -> resolve(tool, tenant))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.UNKNOWN_TOOL);
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).isEqualTo("tool '" + tool + "' is not in the registry");
        });
  }

  @Test
  void theTenantsOwnAndGlobalHttpToolsAreFound() {
    assertThat(resolve("a.notes", "ten_a").httpTool().name()).isEqualTo("a.notes");
    ToolExchange global = resolve("global.time", "ten_b");
    assertThat(global.httpTool().name()).isEqualTo("global.time");
    assertThat(global.mcpTool()).isNull();
  }

  @Test
  void anotherTenantsToolIsInvisible() {
    assertUnknown("b.notes", "ten_a");
    assertUnknown("bdocs.fetch", "ten_a");
  }

  @Test
  void aNameNothingHasIsAnUnknownTool() {
    assertUnknown("nothing.here", "ten_a");
  }

  @Test
  void aToolDiscoveredOnAnMcpServerIsFoundWhenNoHttpToolHasItsName() {
    ToolExchange x = resolve("docs.fetch", "ten_a");
    assertThat(x.httpTool()).isNull();
    assertThat(x.mcpTool().server().name()).isEqualTo("docs");
    assertThat(x.mcpTool().upstreamName()).isEqualTo("fetch");
  }

  @Test
  void anHttpToolWinsOverAnMcpToolOfTheSameName() {
    ToolExchange x = resolve("docs.search", "ten_a");
    assertThat(x.httpTool().name()).isEqualTo("docs.search");
    assertThat(x.mcpTool()).isNull();
  }
}
