package dev.gatehouse.frontend.mcp;

import dev.gatehouse.workflows.tool.ToolProgress;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;

/**
 * The channel of a direct {@code tools/call}, through which what the upstream says during the call
 * (progress messages, log messages) passes the PII and guardrail entries that govern the call
 * before the agent gets it ({@link dev.gatehouse.activities.policy.ToolResultPolicies#notices}):
 * redacted, or, when an entry would block it, a progress report without its message and no log
 * message at all. The entries are looked up at the first such message, so a call whose upstream
 * says nothing meanwhile costs nothing more. Sampling and elicitation requests pass as they are.
 */
final class GovernedChannel implements AgentChannel {
  private static final UnaryOperator<String> UNGOVERNED = s -> s;

  private final AgentChannel channel;
  private final Supplier<UnaryOperator<String>> lookup;
  private final Object progressToken;
  private volatile UnaryOperator<String> notices;

  /**
   * {@code lookup}: the call's filter, or null when no entry governs the call; {@code
   * progressToken}: the token the agent gave the call (null: it asked for no progress).
   */
  GovernedChannel(AgentChannel channel, Supplier<UnaryOperator<String>> lookup, Object progressToken) {
    this.channel = channel;
    this.lookup = lookup;
    this.progressToken = progressToken;
  }

  /**
   * Progress is a request's only when it carries the token the agent gave it (MCP): one with a
   * token the upstream made up, or for a call that asked for none, is not relayed (a probe's call
   * without a token was sent thousands of them).
   */
  @Override
  public boolean takesProgress(Object token) {
    return progressToken != null && token != null && String.valueOf(progressToken).equals(String.valueOf(token));
  }

  private UnaryOperator<String> notices() {
    UnaryOperator<String> n = notices;
    if (n == null) {
      UnaryOperator<String> found = lookup.get();
      n = found == null ? UNGOVERNED : found;
      notices = n;
    }
    return n;
  }

  /** {@code text} as the entries leave it: itself, redacted, or null when it is not to be passed on. */
  String filter(String text) {
    UnaryOperator<String> n = notices();
    return text == null || n == UNGOVERNED ? text : n.apply(text);
  }

  /** The most characters of a log message's data the agent gets (the rest is cut, and says so). */
  static final int MAX_LOG_CHARS = 16 * 1024;

  /** {@code text} cut to {@code max} characters, saying so; itself when it fits. */
  static String cut(String text, int max) {
    return text == null || text.length() <= max ? text : text.substring(0, max) + "… [cut by Gatehouse]";
  }

  @Override
  public Mono<Void> progress(McpSchema.ProgressNotification given) {
    // A progress message is a line of status: cut as a durable call's are.
    McpSchema.ProgressNotification n =
        given.message() == null || given.message().length() <= ToolProgress.MAX_MESSAGE_CHARS
            ? given
            : new McpSchema.ProgressNotification(
                given.progressToken(), given.progress(), given.total(), cut(given.message(), ToolProgress.MAX_MESSAGE_CHARS), given.meta());
    String message = filter(n.message());
    if (message == null ? n.message() == null : message.equals(n.message())) {
      return channel.progress(n);
    }
    return channel.progress(new McpSchema.ProgressNotification(n.progressToken(), n.progress(), n.total(), message, n.meta()));
  }

  @Override
  public Mono<Void> log(McpSchema.LoggingMessageNotification given) {
    McpSchema.LoggingMessageNotification n =
        given.data() == null || given.data().length() <= MAX_LOG_CHARS
            ? given
            : new McpSchema.LoggingMessageNotification(given.level(), given.logger(), cut(given.data(), MAX_LOG_CHARS), given.meta());
    String data = filter(n.data());
    if (data == null && n.data() != null) {
      return Mono.empty();
    }
    if (data == null || data.equals(n.data())) {
      return channel.log(n);
    }
    return channel.log(new McpSchema.LoggingMessageNotification(n.level(), n.logger(), data, n.meta()));
  }

  @Override
  public Mono<McpSchema.CreateMessageResult> createMessage(McpSchema.CreateMessageRequest request) {
    return channel.createMessage(request);
  }

  @Override
  public Mono<McpSchema.ElicitResult> elicit(McpSchema.ElicitFormRequest request) {
    return channel.elicit(request);
  }
}
