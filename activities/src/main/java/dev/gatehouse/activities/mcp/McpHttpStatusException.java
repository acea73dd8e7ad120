package dev.gatehouse.activities.mcp;

import io.modelcontextprotocol.spec.McpTransportException;

/**
 * The upstream answered a message with an HTTP error status (other than the lost session's 404):
 * the server is there and the session stands, so the shared client is kept. A 503 from an
 * overloaded server is this, not a broken connection.
 */
public final class McpHttpStatusException extends McpTransportException {
  public McpHttpStatusException(String method, int status) {
    super("MCP server answered " + method + " with HTTP " + status);
  }
}
