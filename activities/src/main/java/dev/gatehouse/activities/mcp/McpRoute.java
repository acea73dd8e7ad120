package dev.gatehouse.activities.mcp;

import dev.gatehouse.registry.mcp.McpServerDefinition;
import io.modelcontextprotocol.client.McpAsyncClient;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Which client an MCP tool call goes through, and what {@code _meta} it carries. The durable path
 * uses the gateway's shared client; the MCP face's direct path uses the agent session's own
 * upstream client, so progress, log messages and requests from the upstream reach that agent.
 */
public interface McpRoute {
  McpAsyncClient client(McpServerDefinition server);

  /** Extra {@code _meta} for the upstream request (the agent's progress token). */
  default Map<String, Object> meta() {
    return Map.of();
  }

  /** Completes (with any value) when the caller gives up on the call: it then stops waiting. */
  default Mono<?> cancelled() {
    return Mono.never();
  }

  /** True when a failed call should drop the client (the shared one; a session's stays its own). */
  default boolean shared() {
    return false;
  }
}
