package dev.gatehouse.activities.mcp;

/** An upstream MCP server could not be reached (it is down, or backing off after failures). */
public class McpUnavailableException extends RuntimeException {
  private final boolean egressRefused;

  public McpUnavailableException(String message) {
    this(message, false);
  }

  /** {@code egressRefused}: the server's last failure was its host resolving to an address its writer may not reach. */
  public McpUnavailableException(String message, boolean egressRefused) {
    super(message);
    this.egressRefused = egressRefused;
  }

  /** True when the server was not connected to because its host resolves to an address its writer may not reach. */
  public boolean egressRefused() {
    return egressRefused;
  }
}
