package dev.gatehouse.frontend.mcp;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import io.modelcontextprotocol.spec.McpError;
import java.util.Map;

/** The SDK's JSON-RPC errors made from entries of the error catalog: its code, Gatehouse's in {@code data.code}. */
final class McpErrors {
  private McpErrors() {}

  static McpError of(ErrorCode error, String message) {
    return McpError.builder(error.jsonRpcCode()).message(message).data(Map.of("code", error.code())).build();
  }

  static McpError of(ApiException e) {
    return of(e.error(), e.getMessage());
  }

  static McpError resourceNotFound(String uri) {
    return McpError.builder(ErrorCode.UNKNOWN_RESOURCE.jsonRpcCode())
        .message("Resource not found")
        .data(Map.of("code", ErrorCode.UNKNOWN_RESOURCE.code(), "uri", uri))
        .build();
  }
}
