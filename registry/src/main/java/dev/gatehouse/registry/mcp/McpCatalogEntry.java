package dev.gatehouse.registry.mcp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One thing discovered on an MCP server: a tool, resource, resource template or prompt, named by
 * its upstream name (or URI), with its description exactly as the server gave it (MCP JSON).
 */
public record McpCatalogEntry(String server, String kind, String name, JsonNode body) {
  public static final String TOOL = "tool";
  public static final String RESOURCE = "resource";
  public static final String RESOURCE_TEMPLATE = "resource_template";
  public static final String PROMPT = "prompt";
}
