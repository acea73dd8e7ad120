package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.policies.Decision;

/**
 * The request checks every path shares, before anything is sent: the members Gatehouse itself
 * reads must have their JSON types ({@code model} a string, {@code stream} a boolean, {@code
 * messages} an array of objects for chat, {@code input} present for embeddings; on OpenAI's chat
 * {@code max_tokens}, {@code max_completion_tokens} and {@code n}, on Anthropic's {@code
 * max_tokens}, whole numbers in range, as budgets and rate limits reserve by them). The provider
 * checks the rest; whatever Gatehouse does not read is passed on untouched.
 */
final class ValidateModelRequest implements PolicyStep<ModelExchange> {
  static final String POLICY = "request";

  @Override
  public Decision before(ModelExchange exchange) {
    ModelCall call = exchange.request();
    String problem = problem(call);
    return problem == null ? PROCEED : Decision.deny(POLICY, ModelCodes.INVALID_REQUEST, problem);
  }

  static String problem(ModelCall call) {
    ObjectNode body = call.body();
    JsonNode model = body.get("model");
    if (model == null || !model.isTextual() || model.asText().isEmpty()) {
      return "'model' must be a non-empty string naming a model";
    }
    JsonNode stream = body.get("stream");
    if (stream != null && !stream.isBoolean() && !stream.isNull()) {
      return "'stream' must be a boolean, not " + type(stream);
    }
    if (call.kind() == ModelCall.Kind.EMBEDDINGS) {
      if (call.stream()) {
        return "embeddings cannot be streamed";
      }
      JsonNode input = body.get("input");
      if (input == null || input.isNull()) {
        return "'input' is required";
      }
      return null;
    }
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray()) {
      return "'messages' must be an array" + (messages == null ? "" : ", not " + type(messages));
    }
    if (messages.isEmpty()) {
      return "'messages' must not be empty";
    }
    for (int i = 0; i < messages.size(); i++) {
      if (!messages.get(i).isObject()) {
        return "'messages[" + i + "]' must be an object, not " + type(messages.get(i));
      }
      // Text, parts, or none: the checks read nothing else (an object went on unread), and neither
      // API takes anything else.
      JsonNode content = messages.get(i).get("content");
      if (content != null && !content.isNull() && !content.isTextual() && !content.isArray()) {
        return "'messages[" + i + "].content' must be a string or an array of parts, not " + type(content);
      }
    }
    JsonNode system = call.dialect() == Dialect.ANTHROPIC ? body.get("system") : null;
    if (system != null && !system.isNull() && !system.isTextual() && !system.isArray()) {
      return "'system' must be a string or an array of blocks, not " + type(system);
    }
    if (call.dialect() == Dialect.OPENAI) {
      JsonNode options = body.get("stream_options");
      if (options != null && !options.isNull() && !options.isObject()) {
        return "'stream_options' must be an object, not " + type(options);
      }
      // Budgets and rate limits reserve what these allow ({@link OutputBound}): a value they cannot
      // read as a bound (a string, a fraction, 1e30) would be reserved as the default and sent on.
      for (String member : new String[] {"max_tokens", "max_completion_tokens"}) {
        String bad = wholeNumber(body, member, 1, Integer.MAX_VALUE);
        if (bad != null) {
          return bad;
        }
      }
      String badN = wholeNumber(body, "n", 1, MAX_CHOICES);
      if (badN != null) {
        return badN;
      }
    } else {
      String bad = wholeNumber(body, "max_tokens", 1, Integer.MAX_VALUE);
      if (bad != null) {
        return bad; // here, before a budget reserves by it, not when the request is translated
      }
    }
    return null;
  }

  /**
   * The request member a refusal of this step is about, for the answer's {@code param}: every
   * problem above starts with the member's path in quotes ({@code 'max_tokens' must ...}); the
   * one that does not is about {@code stream}.
   */
  static String paramOf(String problem) {
    if (problem.startsWith("embeddings cannot be streamed")) {
      return "stream";
    }
    int end = problem.startsWith("'") ? problem.indexOf('\'', 1) : -1;
    return end > 1 ? problem.substring(1, end) : null;
  }

  /** The most choices ({@code n}) a chat call may ask for: OpenAI's own bound. */
  static final int MAX_CHOICES = 128;

  /** Why {@code body}'s {@code member}, when set, is not a whole number from {@code min} to {@code max}; null when it is. */
  private static String wholeNumber(JsonNode body, String member, long min, long max) {
    JsonNode v = body.get(member);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
      return "'" + member + "' must be a whole number from " + min + " to " + max + ", not "
          + (v.isNumber() ? v.asText() : type(v));
    }
    return null;
  }

  static String type(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT, POJO -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL, MISSING -> "null";
      case BINARY -> "binary data";
    };
  }
}
