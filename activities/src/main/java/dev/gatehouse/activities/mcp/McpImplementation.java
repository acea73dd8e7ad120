package dev.gatehouse.activities.mcp;

import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * How Gatehouse names itself in an MCP handshake, as a client to upstream servers and as a server
 * to agents: {@code gatehouse} and the version of the build (written into a resource by Maven).
 */
public final class McpImplementation {
  public static final McpSchema.Implementation GATEHOUSE = new McpSchema.Implementation("gatehouse", version());

  private McpImplementation() {}

  /** The build's version, or {@code unknown} when the classes were not built by Maven. */
  public static String version() {
    try (InputStream in = McpImplementation.class.getResourceAsStream("gatehouse.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "");
      return v.isBlank() || v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
