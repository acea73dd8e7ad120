package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import org.junit.jupiter.api.Test;

/**
 * What discovery keeps of an upstream's lists: a probe's server listed tools named with newlines, a
 * right-to-left override, 20,000 characters (listed to agents as they were), 2,000,000 characters
 * (the database refused it, and the whole server went down) and a NUL (the same).
 */
class McpDiscoveryTest {
  private static McpCatalogEntry entry(String kind, String name, String description) {
    return new McpCatalogEntry("s", kind, name, JsonNodeFactory.instance.objectNode().put("name", name).put("description", description));
  }

  @Test
  void namesFollowMcpsRuleAndNothingHoldsANul() {
    assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.TOOL, "read_note", "Reads a note."))).isTrue();
    assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.TOOL, "v2.read-note_" + "x".repeat(115), "d"))).isTrue();
    for (String bad : new String[] {"", "a\nb", "a\u202eb", "<script>", "../../etc", "a b", "*", "x".repeat(129)}) {
      assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.TOOL, bad, "d"))).as(bad).isFalse();
      assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.PROMPT, bad, "d"))).as(bad).isFalse();
    }
    assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.TOOL, "fine", "a \u0000 in the description"))).isFalse();
    assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.TOOL, "fine", "a \\u0000 written out is text"))).isTrue();

    assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.RESOURCE, "file:///notes/a%20b.txt", "d"))).isTrue();
    assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.RESOURCE_TEMPLATE, "notes://{name}", "d"))).isTrue();
    assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.RESOURCE, "file:///" + "a".repeat(McpDiscovery.MAX_URI), "d"))).isFalse();
    assertThat(McpDiscovery.acceptable(entry(McpCatalogEntry.RESOURCE, "file:///a\nb", "d"))).isFalse();
  }
}
