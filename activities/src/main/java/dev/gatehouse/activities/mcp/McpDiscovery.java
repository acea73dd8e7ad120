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
  /** MCP's rule for tool (and prompt) names: 1 to 128 of these. */
  static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,128}");
  /** The longest resource URI (or URI template) kept. */
  static final int MAX_URI = 2048;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(McpDiscovery.class);

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
      list(def.name(), deadline, "tools", client::listTools, McpSchema.ListToolsResult::nextCursor, McpSchema.ListToolsResult::tools,
          t -> new McpCatalogEntry(def.name(), McpCatalogEntry.TOOL, t.name(), McpJson.tree(t)), entries);
    }
    if (caps != null && caps.resources() != null) {
      list(def.name(), deadline, "resources", client::listResources, McpSchema.ListResourcesResult::nextCursor,
          McpSchema.ListResourcesResult::resources,
          r -> new McpCatalogEntry(def.name(), McpCatalogEntry.RESOURCE, r.uri(), McpJson.tree(r)), entries);
      list(def.name(), deadline, "resource templates", client::listResourceTemplates, McpSchema.ListResourceTemplatesResult::nextCursor,
          McpSchema.ListResourceTemplatesResult::resourceTemplates,
          r -> new McpCatalogEntry(def.name(), McpCatalogEntry.RESOURCE_TEMPLATE, r.uriTemplate(), McpJson.tree(r)), entries);
    }
    if (caps != null && caps.prompts() != null) {
      list(def.name(), deadline, "prompts", client::listPrompts, McpSchema.ListPromptsResult::nextCursor, McpSchema.ListPromptsResult::prompts,
          p -> new McpCatalogEntry(def.name(), McpCatalogEntry.PROMPT, p.name(), McpJson.tree(p)), entries);
    }
    return entries;
  }

  /** Reads every page of one list into {@code entries}, within the bounds. */
  private static <P, T> void list(
      String server,
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
    int skipped = 0;
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
        McpCatalogEntry e = entry.apply(item);
        if (acceptable(e)) {
          entries.add(e);
        } else {
          skipped++;
        }
      }
      cursor = answer == null ? null : next.apply(answer);
    } while (cursor != null);
    if (skipped > 0) {
      // Counted, never quoted: the names are the server's own, and may hold anything.
      LOG.warn(
          "MCP server {}: {} of its {} skipped: a name that breaks MCP's rule (1 to 128 of A-Za-z0-9_.-), a URI over {} "
              + "characters or with control characters, or a NUL anywhere",
          server, skipped, what, MAX_URI);
    }
  }

  /**
   * Whether an entry can be listed: a tool's or prompt's name as MCP's rule has it (a probe's
   * names held newlines, a right-to-left override, 20,000 characters; one of 2,000,000 failed the
   * whole discovery in the database), a resource's URI at most {@link #MAX_URI} characters without
   * control characters, and no NUL anywhere in it (PostgreSQL stores none: one took the whole
   * server down).
   */
  static boolean acceptable(McpCatalogEntry e) {
    String key = e.name();
    if (key == null) {
      return false;
    }
    boolean named = McpCatalogEntry.TOOL.equals(e.kind()) || McpCatalogEntry.PROMPT.equals(e.kind());
    if (named ? !NAME.matcher(key).matches() : key.isEmpty() || key.length() > MAX_URI || key.chars().anyMatch(Character::isISOControl)) {
      return false;
    }
    return key.indexOf('\0') < 0 && (e.body() == null || !hasNul(e.body()));
  }

  /** Whether a string or member name anywhere in {@code node} holds a NUL. */
  private static boolean hasNul(com.fasterxml.jackson.databind.JsonNode node) {
    if (node.isTextual()) {
      return node.textValue().indexOf('\0') >= 0;
    }
    if (node.isObject()) {
      for (var it = node.fields(); it.hasNext(); ) {
        var f = it.next();
        if (f.getKey().indexOf('\0') >= 0 || hasNul(f.getValue())) {
          return true;
        }
      }
      return false;
    }
    for (com.fasterxml.jackson.databind.JsonNode child : node) {
      if (hasNul(child)) {
        return true;
      }
    }
    return false;
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
