package dev.gatehouse.workflows.tool;

/**
 * The latest progress an upstream reported during a {@code Tool.Call}: the activity's heartbeat
 * details, read by the front end that waits for the call (and relayed to an MCP agent).
 */
public record ToolProgress(double progress, Double total, String message) {
  /**
   * The longest message kept (characters): a longer one is cut to this, ending in {@code …}.
   * Progress travels in heartbeats and in the activity's result, both bounded by the workflow
   * engine's payload limits; an upstream's messages must not decide whether a call can complete.
   */
  public static final int MAX_MESSAGE_CHARS = 1024;

  /** A report as it is kept: its message cut to {@link #MAX_MESSAGE_CHARS}. */
  public static ToolProgress of(double progress, Double total, String message) {
    return new ToolProgress(progress, total, cut(message));
  }

  /** {@code message} cut to {@link #MAX_MESSAGE_CHARS} characters (the last one {@code …}), never within a surrogate pair. */
  public static String cut(String message) {
    if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
      return message;
    }
    int end = MAX_MESSAGE_CHARS - 1;
    if (Character.isHighSurrogate(message.charAt(end - 1))) {
      end--;
    }
    return message.substring(0, end) + "\u2026";
  }

  /** The characters of its message (0 for none). */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public int messageChars() {
    return message == null ? 0 : message.length();
  }
}
