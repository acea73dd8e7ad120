package dev.gatehouse.registry.mcp;

import dev.gatehouse.registry.RegistryException;

/**
 * An MCP server would expose its tools under a prefix another server already uses for the same
 * agents (both global, one global, or both of one tenant): tools of the same upstream name would
 * get the same gateway name, and one server's would hide the other's.
 */
public final class McpPrefixTaken extends RegistryException {
  public static final String CODE = "mcp_prefix_taken";

  public McpPrefixTaken(String server, String prefix, String holder) {
    super(
        CODE,
        "MCP server '" + server + "' would expose its tools as '" + prefix + ".*', as MCP server '" + holder
            + "' does for the same agents; give one of them another prefix");
  }
}
