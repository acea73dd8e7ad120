package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpToolResolver.McpItem;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.policies.access.AccessPolicy;
import dev.gatehouse.policies.access.Patterns;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/**
 * The tools an agent sees on an MCP endpoint ({@code tools/list}): the HTTP tools of its tenant,
 * then the discovered tools of every upstream MCP server named {@code <prefix>.<tool>}, each only
 * if the agent may use it and (on {@code /mcp/{virtualServer}}) the virtual server selects it.
 */
final class ToolListing {
  /** An HTTP tool registered without an input schema takes any object (MCP requires an object schema). */
  private static final ObjectNode ANY_OBJECT = JsonNodeFactory.instance.objectNode().put("type", "object");

  private final ToolDao toolDao;
  private final VirtualServerDao virtualServers;
  private final McpToolResolver resolver;

  ToolListing(Jdbi jdbi, McpToolResolver resolver) {
    this.toolDao = jdbi.onDemand(ToolDao.class);
    this.virtualServers = jdbi.onDemand(VirtualServerDao.class);
    this.resolver = resolver;
  }

  /** The tools {@code caller} sees on this endpoint, in MCP form, named as agents call them. */
  List<ObjectNode> visibleTools(AgentCaller caller, String virtualServer) {
    var agent = caller.agent();
    VirtualServer selection = virtualServer == null ? null : virtualServers.find(virtualServer).orElse(null);
    List<ObjectNode> out = new ArrayList<>();
    for (ToolDefinition t : toolDao.page(agent.tenantId(), null, 10_000)) {
      if (t.tenantId() != null && !t.tenantId().equals(agent.tenantId())) {
        continue;
      }
      if (!visible(caller, selection, t.name())) {
        continue;
      }
      ObjectNode tool = JsonNodeFactory.instance.objectNode();
      tool.put("name", t.name());
      tool.put(
          "description",
          t.description() != null && !t.description().isBlank() ? t.description() : "HTTP tool " + t.name());
      boolean hasSchema = t.inputSchema() != null && t.inputSchema().isObject();
      tool.set("inputSchema", hasSchema ? t.inputSchema() : ANY_OBJECT.deepCopy());
      if ("GET".equals(t.http().method())) {
        tool.putObject("annotations").put("readOnlyHint", true);
      }
      out.add(tool);
    }
    Set<String> seen = new HashSet<>();
    out.forEach(t -> seen.add(t.get("name").asText()));
    for (McpItem item : resolver.view(agent.tenantId()).items(McpCatalogEntry.TOOL)) {
      if (!seen.add(item.gatewayName()) || !visible(caller, selection, item.gatewayName())) {
        continue;
      }
      ObjectNode tool = item.body().deepCopy();
      tool.put("name", item.gatewayName());
      out.add(tool);
    }
    return out;
  }

  /** A short token that changes when the list does, to tell a session its list changed. */
  String fingerprint(AgentCaller caller, String virtualServer) {
    return Integer.toHexString(visibleTools(caller, virtualServer).hashCode());
  }

  private static boolean visible(AgentCaller caller, VirtualServer selection, String name) {
    if (selection != null && !Patterns.anyMatches(selection.tools(), name)) {
      return false;
    }
    return AccessPolicy.tool(caller.agent().permissions(), caller.scopes(), name).allowed();
  }
}
