package dev.gatehouse.activities.mcp;

/** An upstream MCP server could not be reached (it is down, or backing off after failures). */
public class McpUnavailableException extends RuntimeException {
  public McpUnavailableException(String message) {
    super(message);
  }
}
