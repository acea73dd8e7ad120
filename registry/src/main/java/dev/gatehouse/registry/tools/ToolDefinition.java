package dev.gatehouse.registry.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * A registered tool: what it is, how to call it, its timeout and retry policy, and who owns it
 * ({@code tenantId} null: a global tool, usable by every tenant's agents that are allowed it).
 */
public record ToolDefinition(
    String name,
    String description,
    HttpEndpoint http,
    JsonNode inputSchema,
    Duration timeout,
    RetrySpec retry,
    String tenantId) {

  public ToolDefinition withTenant(String tenant) {
    return new ToolDefinition(name, description, http, inputSchema, timeout, retry, tenant);
  }
}
