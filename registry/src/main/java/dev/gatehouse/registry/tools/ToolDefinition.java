package dev.gatehouse.registry.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/** A registered tool: what it is, how to call it, and its timeout and retry policy. */
public record ToolDefinition(
    String name,
    String description,
    HttpEndpoint http,
    JsonNode inputSchema,
    Duration timeout,
    RetrySpec retry) {}
