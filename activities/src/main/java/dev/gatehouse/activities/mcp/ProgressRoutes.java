package dev.gatehouse.activities.mcp;

import dev.gatehouse.activities.tool.CallContext;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/**
 * Where the progress notifications of the shared upstream clients go: a shared client serves many
 * calls at once, so each call that wants progress registers its token, and a notification is
 * routed by the token it carries. Notifications with no route are dropped.
 */
final class ProgressRoutes {
  private final Map<Object, CallContext.Progress> routes = new ConcurrentHashMap<>();

  /** Routes notifications with {@code token} to {@code sink} (null: stop). */
  void route(Object token, CallContext.Progress sink) {
    if (sink == null) {
      routes.remove(token);
    } else {
      routes.put(token, sink);
    }
  }

  /** The shared clients' progress handler. */
  Mono<Void> progressed(McpSchema.ProgressNotification n) {
    var sink = n.progressToken() == null ? null : routes.get(n.progressToken());
    if (sink != null) {
      sink.report(n.progress(), n.total(), n.message());
    }
    return Mono.empty();
  }
}
