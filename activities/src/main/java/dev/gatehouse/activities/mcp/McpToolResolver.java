package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.cache.ReadThroughCache;
import dev.gatehouse.policies.approvals.ApprovalPolicy;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Finds what a tenant's agents may see on upstream MCP servers, by gateway name ({@code
 * <prefix>.<name>}). Reads the discovered catalog in PostgreSQL through a short-lived per-tenant
 * cache (a refreshed catalog is seen within the TTL); permissions are not cached here.
 */
public class McpToolResolver {
  private static final int MAX_TENANTS = 10_000;

  /** A discovered MCP object (tool, prompt, resource, template) with the server it lives on. */
  public record McpItem(McpServerDefinition server, String kind, String upstreamName, String gatewayName, JsonNode body) {
    public boolean readOnly() {
      return body.path("annotations").path("readOnlyHint").asBoolean(false);
    }

    public JsonNode inputSchema() {
      return body.get("inputSchema");
    }

    /** The tool's MCP hints as the approval policy reads them (a hint that is not a boolean is not given). */
    public ApprovalPolicy.McpHints approvalHints() {
      JsonNode annotations = body == null ? null : body.get("annotations");
      return new ApprovalPolicy.McpHints(hint(annotations, "readOnlyHint"), hint(annotations, "destructiveHint"));
    }

    private static Boolean hint(JsonNode annotations, String name) {
      JsonNode v = annotations == null ? null : annotations.get(name);
      return v != null && v.isBoolean() ? v.booleanValue() : null;
    }

    /** Whether a call runs as a durable workflow (registry override, else not read-only). */
    public boolean durable() {
      return server.durable(upstreamName, readOnly());
    }
  }

  /**
   * A tenant's view: its servers and their catalogs, and by kind the item each gateway name
   * resolves to (a server with a prefix wins over one without), so a call finds its tool in one
   * lookup however large the catalog.
   */
  public record View(List<McpServerDefinition> servers, Map<String, List<McpItem>> byKind, Map<String, Map<String, McpItem>> byName) {
    View(List<McpServerDefinition> servers, Map<String, List<McpItem>> byKind) {
      this(servers, byKind, index(byKind));
    }

    public List<McpItem> items(String kind) {
      return byKind.getOrDefault(kind, List.of());
    }

    private static Map<String, Map<String, McpItem>> index(Map<String, List<McpItem>> byKind) {
      Map<String, Map<String, McpItem>> index = new java.util.HashMap<>();
      byKind.forEach(
          (kind, items) -> {
            Map<String, McpItem> names = new java.util.HashMap<>();
            for (McpItem item : items) {
              // the first wins, unless a later one comes from a server with a prefix and it does not
              names.merge(item.gatewayName(), item, (first, later) -> unprefixed(first) && !unprefixed(later) ? later : first);
            }
            index.put(kind, Map.copyOf(names));
          });
      return Map.copyOf(index);
    }

    private static boolean unprefixed(McpItem item) {
      return item.server().effectivePrefix().isEmpty();
    }
  }

  private final McpServerDao servers;
  private final McpCatalogDao catalog;
  private final ReadThroughCache<String, View> cache;

  public McpToolResolver(Jdbi jdbi, Duration ttl) {
    this.servers = jdbi.onDemand(McpServerDao.class);
    this.catalog = jdbi.onDemand(McpCatalogDao.class);
    this.cache = new ReadThroughCache<>(ttl, MAX_TENANTS, this::load);
  }

  public View view(String tenantId) {
    return cache.get(tenantId);
  }

  /** Forgets cached views, so the next lookup reads the catalog (after a refresh on this replica). */
  public void invalidate() {
    cache.invalidateAll();
  }

  private View load(String tenantId) {
    List<McpServerDefinition> visible = servers.visibleTo(tenantId);
    Map<String, McpServerDefinition> byName = new java.util.HashMap<>();
    visible.forEach(s -> byName.put(s.name(), s));
    Map<String, List<McpItem>> byKind = new java.util.HashMap<>();
    for (String kind :
        List.of(McpCatalogEntry.TOOL, McpCatalogEntry.PROMPT, McpCatalogEntry.RESOURCE, McpCatalogEntry.RESOURCE_TEMPLATE)) {
      List<McpItem> items = new ArrayList<>();
      for (McpCatalogEntry entry : catalog.visibleTo(tenantId, kind)) {
        McpServerDefinition server = byName.get(entry.server());
        if (server != null) {
          items.add(new McpItem(server, kind, entry.name(), server.qualify(entry.name()), entry.body()));
        }
      }
      byKind.put(kind, List.copyOf(items));
    }
    return new View(List.copyOf(visible), Map.copyOf(byKind));
  }

  /** A tool or prompt by gateway name; servers with a prefix win over those without. */
  public Optional<McpItem> find(String tenantId, String kind, String gatewayName) {
    return Optional.ofNullable(view(tenantId).byName().getOrDefault(kind, Map.of()).get(gatewayName));
  }

  /** A resource by exact URI, else a server whose resource template matches the URI. */
  public Optional<McpItem> resource(String tenantId, String uri) {
    return resources(tenantId, uri).stream().findFirst();
  }

  /**
   * Every item a resource URI may name, in the order a read tries them: the resources listed under
   * exactly that URI, then the templates that match it. Resource URIs carry no server prefix, so
   * two servers may list the same one; the caller takes the first the agent may read.
   */
  public List<McpItem> resources(String tenantId, String uri) {
    View view = view(tenantId);
    List<McpItem> found = new ArrayList<>();
    view.items(McpCatalogEntry.RESOURCE).stream().filter(i -> i.upstreamName().equals(uri)).forEach(found::add);
    view.items(McpCatalogEntry.RESOURCE_TEMPLATE).stream().filter(i -> UriTemplates.matches(i.upstreamName(), uri)).forEach(found::add);
    return found;
  }
}
