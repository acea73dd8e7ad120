package dev.gatehouse.registry.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** A server's health as its last discovery saw it: {@code up} or {@code down} with the error. */
public record McpServerStatus(
    String server,
    String state,
    String error,
    JsonNode serverInfo,
    JsonNode capabilities,
    Instant checkedAt,
    Instant refreshedAt) {
  public static final String UP = "up";
  public static final String DOWN = "down";
}
