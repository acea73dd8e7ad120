package dev.gatehouse.frontend.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.workflows.tool.ToolProgress;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * What an upstream says during a direct call reaches the agent bounded: a probe's server sent 30
 * progress and 30 log messages of 5 MiB each in one call, and all of them went to the agent whole.
 */
class GovernedChannelTest {

  /** An agent's channel that keeps what it is sent. */
  static final class Recording implements AgentChannel {
    final List<McpSchema.ProgressNotification> progress = new ArrayList<>();
    final List<McpSchema.LoggingMessageNotification> logs = new ArrayList<>();

    @Override
    public Mono<Void> progress(McpSchema.ProgressNotification n) {
      progress.add(n);
      return Mono.empty();
    }

    @Override
    public Mono<Void> log(McpSchema.LoggingMessageNotification n) {
      logs.add(n);
      return Mono.empty();
    }

    @Override
    public Mono<McpSchema.CreateMessageResult> createMessage(McpSchema.CreateMessageRequest request) {
      return Mono.empty();
    }

    @Override
    public Mono<McpSchema.ElicitResult> elicit(McpSchema.ElicitFormRequest request) {
      return Mono.empty();
    }
  }

  @Test
  void progressAndLogMessagesAreCutWhetherOrNotAnEntryGovernsTheCall() {
    String huge = "p".repeat(5 * 1024 * 1024);
    for (boolean governed : new boolean[] {false, true}) {
      Recording agent = new Recording();
      GovernedChannel channel = new GovernedChannel(agent, () -> governed ? s -> s.replace("secret", "[X]") : null, "t");

      channel.progress(new McpSchema.ProgressNotification("t", 0.5, 1.0, huge, null)).block();
      channel.log(new McpSchema.LoggingMessageNotification(McpSchema.LoggingLevel.INFO, "l", "secret " + huge, null)).block();
      channel.progress(new McpSchema.ProgressNotification("t", 0.6, 1.0, "half way", null)).block();

      assertThat(agent.progress.get(0).message()).startsWith("ppp").endsWith("[cut by Gatehouse]")
          .hasSizeLessThan(ToolProgress.MAX_MESSAGE_CHARS + 40);
      assertThat(agent.progress.get(0).progress()).isEqualTo(0.5);
      assertThat(agent.logs.get(0).data()).hasSizeLessThan(GovernedChannel.MAX_LOG_CHARS + 40)
          .startsWith(governed ? "[X] ppp" : "secret ppp");
      assertThat(agent.progress.get(1).message()).isEqualTo("half way");
    }
  }

  /** Progress is relayed for the token the agent gave its call only: a probe's call without one got thousands. */
  @Test
  void onlyTheCallsOwnProgressTokenIsTaken() {
    GovernedChannel asked = new GovernedChannel(new Recording(), () -> null, 7L);
    assertThat(asked.takesProgress(7)).as("a number the upstream wrote back as an int").isTrue();
    assertThat(asked.takesProgress(7L)).isTrue();
    assertThat(asked.takesProgress("x")).isFalse();
    assertThat(asked.takesProgress(null)).isFalse();
    GovernedChannel none = new GovernedChannel(new Recording(), () -> null, null);
    assertThat(none.takesProgress("x")).as("a call that asked for no progress gets none").isFalse();
  }
}
