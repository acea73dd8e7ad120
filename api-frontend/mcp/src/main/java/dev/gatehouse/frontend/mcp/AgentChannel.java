package dev.gatehouse.frontend.mcp;

import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import reactor.core.publisher.Mono;

/**
 * Where what an upstream sends during an agent's request goes: the stream of that request. A
 * {@code tools/call} answers on its own HTTP response ({@link ResponseChannel}); the methods the
 * SDK serves (resources, prompts, completion) answer through the SDK's exchange ({@link #of}).
 */
interface AgentChannel {
  Mono<Void> progress(McpSchema.ProgressNotification notification);

  Mono<Void> log(McpSchema.LoggingMessageNotification notification);

  Mono<McpSchema.CreateMessageResult> createMessage(McpSchema.CreateMessageRequest request);

  Mono<McpSchema.ElicitResult> elicit(McpSchema.ElicitFormRequest request);

  /** Whether a progress notification with {@code token} is this request's (by default, any is). */
  default boolean takesProgress(Object token) {
    return true;
  }

  /** The SDK's exchange of a request it serves. */
  static AgentChannel of(McpAsyncServerExchange exchange) {
    return new AgentChannel() {
      @Override
      public Mono<Void> progress(McpSchema.ProgressNotification n) {
        return exchange.progressNotification(n);
      }

      @Override
      public Mono<Void> log(McpSchema.LoggingMessageNotification n) {
        return exchange.loggingNotification(n);
      }

      @Override
      public Mono<McpSchema.CreateMessageResult> createMessage(McpSchema.CreateMessageRequest r) {
        return exchange.createMessage(r);
      }

      @Override
      public Mono<McpSchema.ElicitResult> elicit(McpSchema.ElicitFormRequest r) {
        return exchange.createElicitation(r);
      }
    };
  }
}
