package dev.gatehouse.frontend.mcp;

import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.registry.mcp.VirtualServer;
import io.modelcontextprotocol.common.McpTransportContext;
import java.util.HashMap;
import java.util.Map;

/**
 * What {@link McpHttpFilter} learned about one HTTP request to {@code /mcp}, handed to the MCP
 * handlers through the SDK's transport context (and directly to {@link McpToolCallHandler}): the authenticated agent, the virtual server the
 * path named, the JSON-RPC id of the request, its {@code Idempotency-Key} header, for an {@code
 * initialize} the session's place, taken before the SDK starts the session (else null), and for a
 * request Gatehouse passes on to an upstream ({@link PassThrough#UPSTREAM_METHODS}) its direct-call
 * slot, which the handler gives back once the upstream's answer is in hand (else null); and the
 * request's id ({@code X-Request-Id}), which its audit rows carry.
 */
record McpRequestContext(
    String requestId,
    AgentCaller caller,
    String virtualServer,
    VirtualServer selection,
    Object jsonRpcId,
    String idempotencyKey,
    McpSessions.Place place,
    Admission.Permit upstreamSlot) {
  static final String ATTRIBUTE = "dev.gatehouse.mcp.context";
  private static final String KEY = "gatehouse";

  McpTransportContext toTransportContext() {
    Map<String, Object> map = new HashMap<>();
    map.put(KEY, this);
    return McpTransportContext.create(map);
  }

  static McpRequestContext of(McpTransportContext context) {
    Object value = context == null ? null : context.get(KEY);
    if (value instanceof McpRequestContext c) {
      return c;
    }
    throw new IllegalStateException("MCP request without a Gatehouse context");
  }

  /** The direct-call slot of the request {@code context} is of, if it has one. */
  static Admission.Permit slotOf(McpTransportContext context) {
    return context != null && context.get(KEY) instanceof McpRequestContext c ? c.upstreamSlot() : null;
  }

  /** Set by the filter for the thread that runs the SDK's session start (initialize). */
  static final ThreadLocal<McpRequestContext> CURRENT = new ThreadLocal<>();
}
