package dev.gatehouse.activities.mcp;

import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Discovery of what one upstream MCP server offers: its tools, resources, resource templates and
 * prompts, every page of each, as catalog entries. Only what the server's capabilities announce
 * is listed (tools also when it announced nothing). Blocks the calling thread, each list call up
 * to the server's timeout.
 */
final class McpDiscovery {
  private McpDiscovery() {}

  static List<McpCatalogEntry> discover(McpServerDefinition def, McpAsyncClient client, McpSchema.ServerCapabilities caps) {
    Duration timeout = def.timeoutOrDefault();
    List<McpCatalogEntry> entries = new ArrayList<>();
    if (caps == null || caps.tools() != null) {
      String cursor = null;
      do {
        McpSchema.ListToolsResult page = client.listTools(cursor).block(timeout);
        for (McpSchema.Tool t : page.tools()) {
          entries.add(new McpCatalogEntry(def.name(), McpCatalogEntry.TOOL, t.name(), McpJson.tree(t)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
    }
    if (caps != null && caps.resources() != null) {
      String cursor = null;
      do {
        McpSchema.ListResourcesResult page = client.listResources(cursor).block(timeout);
        for (McpSchema.Resource r : page.resources()) {
          entries.add(new McpCatalogEntry(def.name(), McpCatalogEntry.RESOURCE, r.uri(), McpJson.tree(r)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
      cursor = null;
      do {
        McpSchema.ListResourceTemplatesResult page = client.listResourceTemplates(cursor).block(timeout);
        for (McpSchema.ResourceTemplate r : page.resourceTemplates()) {
          entries.add(
              new McpCatalogEntry(def.name(), McpCatalogEntry.RESOURCE_TEMPLATE, r.uriTemplate(), McpJson.tree(r)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
    }
    if (caps != null && caps.prompts() != null) {
      String cursor = null;
      do {
        McpSchema.ListPromptsResult page = client.listPrompts(cursor).block(timeout);
        for (McpSchema.Prompt p : page.prompts()) {
          entries.add(new McpCatalogEntry(def.name(), McpCatalogEntry.PROMPT, p.name(), McpJson.tree(p)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
    }
    return entries;
  }
}
