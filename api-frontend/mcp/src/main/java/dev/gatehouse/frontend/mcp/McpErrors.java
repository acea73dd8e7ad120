package dev.gatehouse.frontend.mcp;

import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;

/** JSON-RPC errors with Gatehouse's stable code in {@code data.code}. */
final class McpErrors {
  /** JSON-RPC code for an upstream that failed or could not be reached (server-defined range). */
  static final int UPSTREAM = -32003;

  private McpErrors() {}

  static McpError error(int code, String gatehouseCode, String message) {
    return McpError.builder(code).message(message).data(Map.of("code", gatehouseCode)).build();
  }

  static McpError invalidParams(String gatehouseCode, String message) {
    return error(McpSchema.ErrorCodes.INVALID_PARAMS, gatehouseCode, message);
  }

  static McpError resourceNotFound(String uri) {
    return McpError.builder(McpSchema.ErrorCodes.RESOURCE_NOT_FOUND)
        .message("Resource not found")
        .data(Map.of("code", "unknown_resource", "uri", uri))
        .build();
  }

  static McpError upstream(String gatehouseCode, String message) {
    return error(UPSTREAM, gatehouseCode, message);
  }
}
