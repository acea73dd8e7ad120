package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.policy.RateLimitStatus;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.workflows.tool.ToolCallResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@code tools/call} answers, following MCP's split between the two kinds of failure. A
 * tool that ran and failed (its upstream refused, broke or timed out: {@link
 * ErrorCode#toolOutcome()}) answers with a {@code CallToolResult} whose {@code isError} is true and
 * whose text says what happened, so the model can read it and react; Gatehouse's stable code is in
 * {@code _meta["dev.gatehouse/error"]}. A call refused before anything ran (unknown tool, invalid
 * arguments, not allowed, cancelled) answers with a JSON-RPC error, as protocol errors do.
 */
final class ToolCallAnswers {
  static final String ERROR_META = "dev.gatehouse/error";
  static final String TASK_META = "dev.gatehouse/task-id";

  private ToolCallAnswers() {}

  /** An MCP tool's answer is a CallToolResult already; an HTTP tool's body becomes one. */
  static JsonNode result(boolean mcpTool, ToolCallResult result) {
    if (mcpTool) {
      JsonNode output = result.output();
      if (output instanceof ObjectNode o && !o.path("content").isArray()) {
        // MCP requires content: an upstream's {} would reach the agent's SDK, which refuses it.
        ObjectNode fixed = o.deepCopy();
        fixed.putArray("content");
        return fixed;
      }
      return output;
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    JsonNode body = result.output();
    String text = body == null ? "" : body.isTextual() ? body.asText() : body.toString();
    out.putArray("content").addObject().put("type", "text").put("text", text);
    if (body != null && body.isObject()) {
      out.set("structuredContent", body);
    }
    out.put("isError", false);
    return out;
  }

  /**
   * The answer to a call that failed with {@code failureType} (an {@code ApplicationFailure} type
   * from {@code ToolFailureTypes}): the isError result of a tool that ran and failed, or (thrown) the
   * JSON-RPC error of a refused call. A type the catalog does not know is a tool that failed.
   */
  static JsonNode failure(String failureType, String message, String taskId) {
    ErrorCode error = ErrorCode.ofFailureType(failureType).orElse(null);
    if (error != null && !error.toolOutcome()) {
      throw McpErrors.of(error, error == ErrorCode.CANCELED ? "Request canceled" : message);
    }
    String code = error != null ? error.code() : ErrorCode.codeOfFailureType(failureType);
    return failed(code, error == null || error.retryable(), message, taskId);
  }

  /**
   * A direct call a rate-limit policy refused: a JSON-RPC error like any refusal, {@code
   * data.code} {@code rate_limited}, {@code data.retryable} true, and in {@code data} the
   * policy that refused, its limit, what is left and {@code retryAfter} (whole seconds).
   */
  static ApiException rateLimited(String message, RateLimitStatus limits) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("retryAfter", limits.retryAfterSeconds());
    details.put("policy", limits.policy());
    if (limits.requests() != null) {
      details.put("limit", limits.requests().limit());
      details.put("remaining", limits.requests().remaining());
    }
    return new ApiException(
        ErrorCode.RATE_LIMITED, message, Map.of("Retry-After", Long.toString(limits.retryAfterSeconds())), details);
  }

  /** The isError result of a tool that ran and failed with {@code error}. */
  static JsonNode failed(ErrorCode error, String message, String taskId) {
    return failed(error.code(), error.retryable(), message, taskId);
  }

  /** The isError result of a tool that ran and failed with {@code code}, a catalog code or a tool's own. */
  static JsonNode failed(String code, boolean retryable, String message, String taskId) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.putArray("content").addObject().put("type", "text").put("text", message);
    out.put("isError", true);
    ObjectNode meta = out.putObject("_meta");
    meta.putObject(ERROR_META).put("code", code).put("retryable", retryable);
    if (taskId != null) {
      meta.put(TASK_META, taskId);
    }
    return out;
  }
}
