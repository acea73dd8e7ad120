package dev.gatehouse.activities.mcp;

import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * What an upstream MCP client does with what its server sends on its own: requests to the client
 * (sampling, elicitation; roots are given up front) and notifications (progress, log messages,
 * resource updates, list changes), and what happens when a stdio server's process exits. A
 * per-session client relays them to the agent's session; the shared client watches list changes
 * and exits. Null handlers leave the capability out.
 */
public record UpstreamHandlers(
    Function<McpSchema.CreateMessageRequest, Mono<McpSchema.CreateMessageResult>> sampling,
    Function<McpSchema.ElicitFormRequest, Mono<McpSchema.ElicitResult>> elicitation,
    List<McpSchema.Root> roots,
    Function<McpSchema.ProgressNotification, Mono<Void>> progress,
    Function<McpSchema.LoggingMessageNotification, Mono<Void>> logging,
    Function<McpSchema.ResourcesUpdatedNotification, Mono<Void>> resourceUpdated,
    Runnable listChanged,
    Runnable exited) {

  public static final UpstreamHandlers NONE = new UpstreamHandlers(null, null, null, null, null, null, null, null);
}
