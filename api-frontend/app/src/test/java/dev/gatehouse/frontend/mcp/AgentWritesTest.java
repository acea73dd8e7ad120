package dev.gatehouse.frontend.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.activities.mcp.McpJson;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransport;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * A notification Gatehouse itself sends an agent (its tool list changed) while the agent does not
 * read its stream: the write blocks, and it must not hold the caller, the maintenance thread that
 * tells every session in turn and also ends idle sessions.
 */
class AgentWritesTest {

  @Test
  void aNotificationToAnAgentThatDoesNotReadDoesNotHoldTheThreadThatSendsIt() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch writing = new CountDownLatch(1);
    AtomicReference<String> wroteOn = new AtomicReference<>();
    AtomicBoolean written = new AtomicBoolean();
    // The agent's listening stream, as a transport whose write blocks: an agent that does not read.
    McpStreamableServerTransport stuck =
        new McpStreamableServerTransport() {
          @Override
          public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message, String messageId) {
            return Mono.fromRunnable(
                () -> {
                  wroteOn.set(Thread.currentThread().getName());
                  writing.countDown();
                  try {
                    release.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  written.set(true);
                });
          }

          @Override
          public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return sendMessage(message, null);
          }

          @Override
          public <T> T unmarshalFrom(Object data, TypeRef<T> type) {
            return McpJson.MAPPER.convertValue(data, type);
          }

          @Override
          public Mono<Void> closeGracefully() {
            return Mono.empty();
          }
        };
    McpStreamableServerSession sdk =
        new McpStreamableServerSession(
            "s-stuck", McpSchema.ClientCapabilities.builder().build(), new McpSchema.Implementation("agent", "1"),
            Duration.ofMinutes(1), Map.of(), Map.of());
    sdk.listeningStream(stuck);
    GatewaySession session = new GatewaySession("s-stuck", "t", "a", null, null, sdk, null, null, Duration.ofMinutes(1), new UpstreamPlaces(1, 1));
    try {
      session.notifyAgent(McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED, Map.of());
      assertThat(written).as("returned while the write still waits for the agent").isFalse();
      assertThat(writing.await(5, TimeUnit.SECONDS)).as("the write was made").isTrue();
      assertThat(wroteOn.get()).startsWith("mcp-delivery");
    } finally {
      release.countDown();
    }
  }
}
