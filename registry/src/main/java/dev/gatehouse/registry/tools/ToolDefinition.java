package dev.gatehouse.registry.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * A registered tool: what it is, how to call it, its timeout and retry policy, and who owns it
 * ({@code tenantId} null: a global tool, usable by every tenant's agents that are allowed it), and
 * how Gatehouse authenticates to its upstream ({@code auth} null: no token; header values may
 * still name secrets as {@code {{secret:NAME}}}).
 */
public record ToolDefinition(
    String name,
    String description,
    HttpEndpoint http,
    JsonNode inputSchema,
    Duration timeout,
    RetrySpec retry,
    String tenantId,
    UpstreamAuth auth) {

  public ToolDefinition withTenant(String tenant) {
    return new ToolDefinition(name, description, http, inputSchema, timeout, retry, tenant, auth);
  }
}
