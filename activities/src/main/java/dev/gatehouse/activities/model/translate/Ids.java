package dev.gatehouse.activities.model.translate;

/**
 * Ids across dialects: an answer's id keeps the provider's id under the caller's prefix ({@code
 * chatcmpl-abc} ↔ {@code msg_abc}), so the two can be matched in logs; a tool call's id is kept,
 * made safe for Anthropic, which allows only letters, digits, {@code _} and {@code -}.
 */
final class Ids {
  static final String OPENAI_PREFIX = "chatcmpl-";
  static final String ANTHROPIC_PREFIX = "msg_";

  private Ids() {}

  static String anthropicMessage(String openAiId) {
    String core = openAiId == null ? "" : strip(openAiId, OPENAI_PREFIX);
    return ANTHROPIC_PREFIX + (core.isEmpty() ? "gatehouse" : core);
  }

  static String openAiCompletion(String anthropicId) {
    String core = anthropicId == null ? "" : strip(anthropicId, ANTHROPIC_PREFIX);
    return OPENAI_PREFIX + (core.isEmpty() ? "gatehouse" : core);
  }

  /** An OpenAI tool call id as an Anthropic tool_use id: characters it does not allow become {@code _}. */
  static String toolUse(String callId) {
    String safe = callId.replaceAll("[^A-Za-z0-9_-]", "_");
    return safe.isEmpty() ? "toolu_gatehouse" : safe;
  }

  private static String strip(String id, String prefix) {
    return id.startsWith(prefix) ? id.substring(prefix.length()) : id;
  }
}
