package dev.gatehouse.activities.model.translate;

/**
 * Why the model stopped, between OpenAI's {@code finish_reason} and Anthropic's {@code
 * stop_reason}. OpenAI → Anthropic: {@code stop} → {@code end_turn} ({@code refusal} when the
 * answer was a refusal), {@code length} → {@code max_tokens}, {@code tool_calls} (and the legacy
 * {@code function_call}) → {@code tool_use}, {@code content_filter} → {@code refusal}. Anthropic →
 * OpenAI: {@code end_turn}, {@code stop_sequence} and {@code pause_turn} → {@code stop}, {@code
 * max_tokens} and {@code model_context_window_exceeded} → {@code length}, {@code tool_use} →
 * {@code tool_calls}, {@code refusal} → {@code content_filter}. A reason either side does not know
 * becomes the plain stop ({@code end_turn}, {@code stop}); none stays none (null).
 */
final class StopReasons {
  private StopReasons() {}

  static String toAnthropic(String finishReason, boolean refused) {
    if (finishReason == null) {
      return null;
    }
    return switch (finishReason) {
      case "length" -> "max_tokens";
      case "tool_calls", "function_call" -> "tool_use";
      case "content_filter" -> "refusal";
      default -> refused ? "refusal" : "end_turn";
    };
  }

  static String toOpenAi(String stopReason) {
    if (stopReason == null) {
      return null;
    }
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> "tool_calls";
      case "refusal" -> "content_filter";
      default -> "stop";
    };
  }
}
