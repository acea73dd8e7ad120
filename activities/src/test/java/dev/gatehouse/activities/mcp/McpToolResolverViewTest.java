package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.activities.mcp.McpToolResolver.McpItem;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a tenant's view resolves a gateway name to one item. */
class McpToolResolverViewTest {
  private static McpServerDefinition server(String name, String prefix) {
    return new McpServerDefinition(
        name, null, McpServerDefinition.STREAMABLE_HTTP, "http://127.0.0.1:1/mcp", null, null, null, null, null, null,
        Duration.ofSeconds(10), null, null, prefix, null, null);
  }

  private static McpItem tool(McpServerDefinition server, String upstreamName) {
    return new McpItem(server, McpCatalogEntry.TOOL, upstreamName, server.qualify(upstreamName), JsonNodeFactory.instance.objectNode());
  }

  @Test
  void aNameTwoServersGiveIsTheOneOfTheServerWithAPrefixWhicheverComesFirst() {
    McpServerDefinition bare = server("bare", ""); // no prefix: its tools keep their own names
    McpServerDefinition files = server("files", "fs"); // fs.read
    McpServerDefinition other = server("fs", ""); // no prefix, but a tool literally named "fs.read"
    McpItem unprefixed = tool(other, "fs.read");
    McpItem prefixed = tool(files, "read");
    McpItem search = tool(bare, "search");
    for (List<McpItem> order : List.of(List.of(unprefixed, prefixed, search), List.of(prefixed, unprefixed, search))) {
      var view = new McpToolResolver.View(List.of(bare, files, other), Map.of(McpCatalogEntry.TOOL, order));
      assertThat(view.byName().get(McpCatalogEntry.TOOL).get("fs.read")).isSameAs(prefixed);
      assertThat(view.byName().get(McpCatalogEntry.TOOL).get("search")).isSameAs(search);
      assertThat(view.byName().get(McpCatalogEntry.TOOL)).doesNotContainKey("read");
    }
  }

  @Test
  void amongServersAlikeTheFirstListedWins() {
    McpServerDefinition a = server("a", "");
    McpServerDefinition b = server("b", "");
    McpItem first = tool(a, "echo");
    McpItem second = tool(b, "echo");
    var view = new McpToolResolver.View(List.of(a, b), Map.of(McpCatalogEntry.TOOL, List.of(first, second)));
    assertThat(view.byName().get(McpCatalogEntry.TOOL).get("echo")).isSameAs(first);
  }
}
