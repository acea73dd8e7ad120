package dev.gatehouse.frontend.mcp;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import io.modelcontextprotocol.spec.McpError;
import java.util.LinkedHashMap;
import java.util.Map;

/** The SDK's JSON-RPC errors made from entries of the error catalog: its code, Gatehouse's in {@code data.code}. */
final class McpErrors {
  private McpErrors() {}

  static McpError of(ErrorCode error, String message) {
    return McpError.builder(error.jsonRpcCode()).message(message).data(Map.of("code", error.code())).build();
  }

  /**
   * The refusal {@code e}: besides the code, {@code data} says whether trying again could help
   * ({@code retryable}, when it could) and carries the refusal's details (an {@code overloaded}
   * answer's {@code limit}, {@code max} and {@code retryAfter} seconds).
   */
  static McpError of(ApiException e) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("code", e.code());
    if (e.error().retryable()) {
      data.put("retryable", true);
    }
    data.putAll(e.details());
    return McpError.builder(e.error().jsonRpcCode()).message(e.getMessage()).data(data).build();
  }

  static McpError resourceNotFound(String uri) {
    return McpError.builder(ErrorCode.UNKNOWN_RESOURCE.jsonRpcCode())
        .message("Resource not found")
        .data(Map.of("code", ErrorCode.UNKNOWN_RESOURCE.code(), "uri", uri))
        .build();
  }
}
