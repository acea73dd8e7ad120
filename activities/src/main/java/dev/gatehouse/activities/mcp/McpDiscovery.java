package dev.gatehouse.activities.mcp;

import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * Discovery of what one upstream MCP server offers: its tools, resources, resource templates and
 * prompts, every page of each, as catalog entries. Only what the server's capabilities announce
 * is listed (tools also when it announced nothing). Blocks the calling thread, each list call up
 * to the server's timeout. Bounded, so a server that pages without end (or very slowly) cannot
 * keep the thread that discovers every server: at most {@link #MAX_PAGES} pages and {@link
 * #MAX_ENTRIES} entries of each list, and {@link #MAX_DURATION} in all; past any of them the
 * discovery fails ({@link LimitException}) and the server is marked down, saying which.
 */
final class McpDiscovery {
  static final int MAX_PAGES = 100;
  static final int MAX_ENTRIES = 10_000;
  static final Duration MAX_DURATION = Duration.ofSeconds(60);

  /** A discovery stopped at one of its bounds; the message says which, in words an admin reads in the server's status. */
  static final class LimitException extends RuntimeException {
    LimitException(String message) {
      super(message);
    }
  }

  private McpDiscovery() {}

  static List<McpCatalogEntry> discover(McpServerDefinition def, McpAsyncClient client, McpSchema.ServerCapabilities caps) {
    Deadline deadline = new Deadline(def.timeoutOrDefault(), System.nanoTime() + MAX_DURATION.toNanos());
    List<McpCatalogEntry> entries = new ArrayList<>();
    if (caps == null || caps.tools() != null) {
      list(deadline, "tools", client::listTools, McpSchema.ListToolsResult::nextCursor, McpSchema.ListToolsResult::tools,
          t -> new McpCatalogEntry(def.name(), McpCatalogEntry.TOOL, t.name(), McpJson.tree(t)), entries);
    }
    if (caps != null && caps.resources() != null) {
      list(deadline, "resources", client::listResources, McpSchema.ListResourcesResult::nextCursor,
          McpSchema.ListResourcesResult::resources,
          r -> new McpCatalogEntry(def.name(), McpCatalogEntry.RESOURCE, r.uri(), McpJson.tree(r)), entries);
      list(deadline, "resource templates", client::listResourceTemplates, McpSchema.ListResourceTemplatesResult::nextCursor,
          McpSchema.ListResourceTemplatesResult::resourceTemplates,
          r -> new McpCatalogEntry(def.name(), McpCatalogEntry.RESOURCE_TEMPLATE, r.uriTemplate(), McpJson.tree(r)), entries);
    }
    if (caps != null && caps.prompts() != null) {
      list(deadline, "prompts", client::listPrompts, McpSchema.ListPromptsResult::nextCursor, McpSchema.ListPromptsResult::prompts,
          p -> new McpCatalogEntry(def.name(), McpCatalogEntry.PROMPT, p.name(), McpJson.tree(p)), entries);
    }
    return entries;
  }

  /** Reads every page of one list into {@code entries}, within the bounds. */
  private static <P, T> void list(
      Deadline deadline,
      String what,
      Function<String, Mono<P>> page,
      Function<P, String> next,
      Function<P, List<T>> items,
      Function<T, McpCatalogEntry> entry,
      List<McpCatalogEntry> entries) {
    String cursor = null;
    int pages = 0;
    int count = 0;
    do {
      if (++pages > MAX_PAGES) {
        throw stopped(what, "more than " + MAX_PAGES + " pages");
      }
      P answer = page.apply(cursor).block(deadline.wait(what));
      List<T> got = answer == null || items.apply(answer) == null ? List.of() : items.apply(answer);
      for (T item : got) {
        if (++count > MAX_ENTRIES) {
          throw stopped(what, "more than " + MAX_ENTRIES + " entries");
        }
        entries.add(entry.apply(item));
      }
      cursor = answer == null ? null : next.apply(answer);
    } while (cursor != null);
  }

  private static LimitException stopped(String what, String why) {
    return new LimitException(
        "discovery stopped: the list of " + what + " has " + why + " (at most " + MAX_PAGES + " pages and "
            + MAX_ENTRIES + " entries of each list are read, within " + MAX_DURATION.toSeconds() + " s)");
  }

  /** The time left for the discovery, each list call getting at most the server's timeout of it. */
  private record Deadline(Duration timeout, long endNanos) {
    Duration wait(String what) {
      long left = endNanos - System.nanoTime();
      if (left <= 0) {
        throw stopped(what, "not been read within " + MAX_DURATION.toSeconds() + " s");
      }
      return left < timeout.toNanos() ? Duration.ofNanos(left) : timeout;
    }
  }
}
