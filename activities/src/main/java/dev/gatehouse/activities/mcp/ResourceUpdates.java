package dev.gatehouse.activities.mcp;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A client transport that takes the server's {@code notifications/resources/updated} before the
 * SDK client sees them, and hands on only the URI. The SDK answers each by reading the resource
 * from the server and giving its whole contents to the client's consumers, whether anyone asked
 * for them or not: a probe's server that marked a 15 MB resource updated 30 times made Gatehouse
 * download 450 MB it then dropped. Everything else goes through as it came.
 */
final class ResourceUpdates implements McpClientTransport {
  private final McpClientTransport delegate;
  private final Function<McpSchema.ResourcesUpdatedNotification, Mono<Void>> updated;

  /** @param updated what a notification's URI goes to; null drops them */
  ResourceUpdates(McpClientTransport delegate, Function<McpSchema.ResourcesUpdatedNotification, Mono<Void>> updated) {
    this.delegate = delegate;
    this.updated = updated;
  }

  @Override
  public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
    return delegate.connect(incoming -> incoming.flatMap(message -> {
      if (message instanceof McpSchema.JSONRPCNotification n && McpSchema.METHOD_NOTIFICATION_RESOURCES_UPDATED.equals(n.method())) {
        String uri = n.params() instanceof Map<?, ?> params && params.get("uri") instanceof String u ? u : null;
        if (updated == null || uri == null) {
          return Mono.empty();
        }
        return updated.apply(new McpSchema.ResourcesUpdatedNotification(uri)).onErrorResume(e -> Mono.empty()).then(Mono.empty());
      }
      return handler.apply(Mono.just(message));
    }));
  }

  @Override
  public void setExceptionHandler(Consumer<Throwable> handler) {
    delegate.setExceptionHandler(handler);
  }

  @Override
  public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
    return delegate.sendMessage(message);
  }

  @Override
  public Mono<Void> closeGracefully() {
    return delegate.closeGracefully();
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return delegate.unmarshalFrom(data, typeRef);
  }

  @Override
  public List<String> protocolVersions() {
    return delegate.protocolVersions();
  }
}
