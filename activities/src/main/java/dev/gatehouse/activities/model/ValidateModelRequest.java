package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.policies.Decision;

/**
 * The request checks every path shares, before anything is sent: the members Gatehouse itself
 * reads must have their JSON types ({@code model} a string, {@code stream} a boolean, {@code
 * messages} an array of objects for chat, each one's content a string or parts the request
 * policies can read ({@link #content}), {@code input} present for embeddings; on OpenAI's chat
 * {@code max_tokens}, {@code max_completion_tokens} and {@code n}, on Anthropic's {@code
 * max_tokens}, whole numbers in range, as budgets and rate limits reserve by them; the stop
 * sequences, strings, which the request policies read). The provider
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
      String bad = content(messages.get(i).get("content"), "messages[" + i + "].content", 0);
      for (int k = 0; bad == null && call.dialect() == Dialect.OPENAI && k < ASSISTANT_TEXTS.length; k++) {
        bad = string(messages.get(i), ASSISTANT_TEXTS[k], "messages[" + i + "]");
      }
      if (bad != null) {
        return bad;
      }
    }
    if (call.dialect() == Dialect.OPENAI && body.get("prediction") instanceof ObjectNode prediction) {
      String bad = content(prediction.get("content"), "prediction.content", NESTED);
      if (bad != null) {
        return bad;
      }
    }
    if (call.dialect() == Dialect.ANTHROPIC) {
      String bad = content(body.get("system"), "system", 0);
      if (bad != null) {
        return bad;
      }
    }
    String badStop = stop(body, call.dialect() == Dialect.OPENAI ? "stop" : "stop_sequences");
    if (badStop != null) {
      return badStop;
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
   * Why the stop sequences are not what the request policies read: absent, null, a string or an
   * array of strings (Anthropic's API takes only the array, and says so itself). A number or an
   * object went on unread (a probe's card did).
   */
  private static String stop(JsonNode body, String member) {
    JsonNode stop = body.get(member);
    if (stop == null || stop.isNull() || stop.isTextual()) {
      return null;
    }
    if (!stop.isArray()) {
      return "'" + member + "' must be a string or an array of strings, not " + type(stop);
    }
    for (int i = 0; i < stop.size(); i++) {
      if (!stop.get(i).isTextual()) {
        return "'" + member + "[" + i + "]' must be a string, not " + type(stop.get(i));
      }
    }
    return null;
  }

  /**
   * How deep parts inside parts are checked: as deep as the request policies read them (a tool
   * result, a search result or a text document inside a message's parts, and one of those inside
   * a tool result; see {@code ChatTexts}).
   */
  private static final int NESTED = 2;

  /** A part's own texts, which request policies read. */
  private static final String[] PART_TEXTS = {"text", "refusal"};

  /** The texts of an OpenAI assistant message sent back besides its content, which request policies read. */
  private static final String[] ASSISTANT_TEXTS = {"refusal", "reasoning_content", "reasoning"};

  /**
   * Why a content member at {@code path} is not what the request policies can read: it must be
   * absent, null, a string, or an array of parts, each an object whose {@code text}, {@code
   * refusal}, a citation's {@code cited_text}, a document's {@code title}, {@code context} and text
   * {@code data}, and a search result's {@code title} and {@code source}, when given, are strings,
   * and whose nested content (a tool result's, an MCP connector's tool result's, a search
   * result's, a content document's) is the same. No provider takes anything else; sent on, a bare string
   * among the parts, or a tool result whose content is an object, passed PII and guardrail
   * entries unread (a probe reached a provider with text a blocking entry should have stopped).
   * Null when it is.
   */
  static String content(JsonNode content, String path, int depth) {
    if (content == null || content.isNull() || content.isTextual()) {
      return null;
    }
    if (!content.isArray()) {
      return "'" + path + "' must be a string or an array of parts, not " + type(content);
    }
    for (int j = 0; j < content.size(); j++) {
      JsonNode part = content.get(j);
      String at = path + "[" + j + "]";
      if (!part.isObject()) {
        return "'" + at + "' must be an object (a content part), not " + type(part);
      }
      for (String member : PART_TEXTS) {
        String bad = string(part, member, at);
        if (bad != null) {
          return bad;
        }
      }
      JsonNode citations = part.get("citations");
      if (citations != null && citations.isArray()) {
        for (int c = 0; c < citations.size(); c++) {
          String bad = citations.get(c).isObject() ? string(citations.get(c), "cited_text", at + ".citations[" + c + "]") : null;
          if (bad != null) {
            return bad;
          }
        }
      }
      if (depth >= NESTED) {
        continue;
      }
      String type = part.path("type").asText();
      String bad =
          switch (type) {
            case "tool_result", "mcp_tool_result" -> content(part.get("content"), at + ".content", depth + 1);
            case "search_result" -> {
              String title = string(part, "title", at);
              String source = title == null ? string(part, "source", at) : title;
              yield source != null ? source : content(part.get("content"), at + ".content", depth + 1);
            }
            case "document" -> document(part, at, depth);
            default -> null;
          };
      if (bad != null) {
        return bad;
      }
    }
    return null;
  }

  /** A document part: its {@code title} and {@code context}, and a text source's {@code data} or a content source's parts. */
  private static String document(JsonNode part, String at, int depth) {
    String bad = string(part, "title", at);
    bad = bad != null ? bad : string(part, "context", at);
    JsonNode source = part.get("source");
    if (bad != null || source == null || !source.isObject()) {
      return bad;
    }
    return switch (source.path("type").asText()) {
      case "text" -> string(source, "data", at + ".source");
      case "content" -> content(source.get("content"), at + ".source.content", depth + 1);
      default -> null;
    };
  }

  /** Why {@code owner.member}, when given, is not a string; null when it is. */
  private static String string(JsonNode owner, String member, String at) {
    JsonNode v = owner.get(member);
    return v == null || v.isNull() || v.isTextual() ? null : "'" + at + "." + member + "' must be a string, not " + type(v);
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
