package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelUsage;

/**
 * Token usage in either dialect. {@link ModelUsage#inputTokens()} counts every input token: OpenAI's
 * {@code prompt_tokens} already does ({@code cached_tokens} is part of it), while Anthropic's
 * {@code input_tokens} leaves out the tokens read from or written to its cache, so those are added.
 */
final class Usages {
  private Usages() {}

  /**
   * OpenAI {@code usage}; null when {@code usage} is not an object, lacks {@code prompt_tokens} or
   * {@code completion_tokens} (an empty {@code usage} counted as none made the call free), or one
   * of its counts is not a count ({@link Json#badCount}).
   */
  static ModelUsage fromOpenAi(JsonNode usage) {
    if (usage == null || !usage.isObject() || !usage.path("prompt_tokens").isNumber() || !usage.path("completion_tokens").isNumber()
        || Json.badCount(usage, "prompt_tokens") || Json.badCount(usage.path("prompt_tokens_details"), "cached_tokens")
        || Json.badCount(usage, "completion_tokens") || Json.badCount(usage.path("completion_tokens_details"), "reasoning_tokens")) {
      return null;
    }
    return new ModelUsage(
        Json.count(usage, "prompt_tokens"),
        Json.count(usage.path("prompt_tokens_details"), "cached_tokens"),
        Json.count(usage, "completion_tokens"),
        Json.count(usage.path("completion_tokens_details"), "reasoning_tokens"),
        false);
  }

  /**
   * Anthropic {@code usage}; null when {@code usage} is not an object, lacks {@code input_tokens} or
   * {@code output_tokens}, or one of its counts is not a count ({@link Json#badCount}).
   */
  static ModelUsage fromAnthropic(JsonNode usage) {
    if (usage == null || !usage.isObject() || !usage.path("input_tokens").isNumber() || !usage.path("output_tokens").isNumber()
        || badAnthropic(usage)) {
      return null;
    }
    return anthropic(
        Json.count(usage, "input_tokens"),
        Json.count(usage, "cache_read_input_tokens"),
        Json.count(usage, "cache_creation_input_tokens"),
        Json.count(usage, "output_tokens"));
  }

  /** Whether one of Anthropic {@code usage}'s counts is not a count. */
  static boolean badAnthropic(JsonNode usage) {
    for (String name : new String[] {"input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens"}) {
      if (Json.badCount(usage, name)) {
        return true;
      }
    }
    return false;
  }

  static ModelUsage anthropic(long input, long cacheRead, long cacheCreation, long output) {
    return new ModelUsage(input + cacheRead + cacheCreation, cacheRead, cacheCreation, output, 0, false);
  }

  /**
   * OpenAI {@code usage} for {@code usage}. {@code completion_tokens_details.reasoning_tokens} only
   * when known to be non-zero: Anthropic counts thinking in its output tokens without saying how
   * many.
   */
  static ObjectNode toOpenAi(ModelUsage usage) {
    ObjectNode out = Json.object();
    out.put("prompt_tokens", usage.inputTokens());
    out.put("completion_tokens", usage.outputTokens());
    out.put("total_tokens", usage.totalTokens());
    out.putObject("prompt_tokens_details").put("cached_tokens", usage.cachedInputTokens());
    if (usage.reasoningTokens() > 0) {
      out.putObject("completion_tokens_details").put("reasoning_tokens", usage.reasoningTokens());
    }
    return out;
  }

  /**
   * Anthropic {@code usage} for {@code usage}: the cached part of the input is {@code
   * cache_read_input_tokens}, the part written to the cache {@code cache_creation_input_tokens}.
   */
  static ObjectNode toAnthropic(ModelUsage usage) {
    ObjectNode out = Json.object();
    out.put("input_tokens", usage.inputTokens() - usage.cachedInputTokens() - usage.cacheWriteInputTokens());
    out.put("cache_creation_input_tokens", usage.cacheWriteInputTokens());
    out.put("cache_read_input_tokens", usage.cachedInputTokens());
    out.put("output_tokens", usage.outputTokens());
    return out;
  }
}
