package dev.gatehouse.activities.usage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;

/** Token counts Gatehouse makes itself, when a provider reported none. (Contract; implementation to come.) */
public final class TokenEstimator {
  private TokenEstimator() {}

  /** The tokens of {@code text} (an OpenAI encoding). */
  public static long tokens(CharSequence text) {
    return 0;
  }

  /** The input tokens of a request body in {@code dialect}: its messages, system prompt and tool definitions. */
  public static long inputTokens(Dialect dialect, ObjectNode body) {
    return 0;
  }
}
