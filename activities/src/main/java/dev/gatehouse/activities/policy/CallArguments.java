package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.text.UpstreamJson;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of the tool calls in a model request or answer, which the PII entries read as they
 * read a tool's arguments at {@code tool-arguments} (every string, number and member name): on the
 * model faces the client runs the tools itself, so a call's arguments are model output that
 * reaches it (an answer), or text a client can put anything in that reaches the provider (the
 * calls in a request's history). A task's calls are not read here: its tools are called through
 * Gatehouse, and {@code tool-arguments} reads what they are sent ({@link
 * dev.gatehouse.activities.model.ModelCall#callerRunsTools}).
 *
 * <ul>
 *   <li>OpenAI: an assistant message's {@code tool_calls[].function.arguments} and legacy {@code
 *       function_call.arguments}, a JSON text: read parsed, and as one text when it is not one
 *       JSON value (a model's broken JSON, a client's anything; a repeated member name counts as
 *       broken, so no value hides behind a later one). A redacted one is written back compact.
 *   <li>Anthropic: a {@code tool_use}, {@code server_tool_use} or {@code mcp_tool_use} part's
 *       {@code input}, a JSON value.
 * </ul>
 */
final class CallArguments {
  /** What a call's JSON text is read with: Jackson's and {@link UpstreamJson}'s limits, one value, no repeated member names. */
  private static final ObjectMapper STRICT =
      UpstreamJson.bounded(
          JsonMapper.builder()
              .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
              .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
              .build());

  private static final List<String> USES = List.of("tool_use", "server_tool_use", "mcp_tool_use");

  private CallArguments() {}

  /** How a call's arguments are written where they are. */
  enum Form {
    /** A JSON text that parses: {@link Slot#value} is what it holds. */
    JSON_TEXT,
    /** A text that is not one JSON value: {@link Slot#value} is the text. */
    RAW_TEXT,
    /** A JSON value (Anthropic's {@code input}). */
    VALUE
  }

  /** One call's arguments: {@code owner.member}, and what they hold. */
  record Slot(ObjectNode owner, String member, JsonNode value, Form form) {
    /** Puts {@code tree} (what an entry made of {@link #value}) where the arguments were. */
    void write(JsonNode tree) {
      if (form == Form.VALUE) {
        owner.set(member, tree);
      } else {
        owner.put(member, text(tree));
      }
    }

    /** {@code tree} written as these arguments were: compact JSON, or the text it is. */
    String text(JsonNode tree) {
      return form == Form.RAW_TEXT && tree.isTextual() ? tree.textValue() : tree.toString();
    }
  }

  /** {@code text}, a call's arguments as written, as what they hold. */
  static Slot ofText(ObjectNode owner, String member, String text) {
    try {
      return new Slot(owner, member, STRICT.readTree(text), Form.JSON_TEXT);
    } catch (JsonProcessingException e) {
      return new Slot(owner, member, TextNode.valueOf(text), Form.RAW_TEXT);
    }
  }

  /** The calls' arguments in a chat request's messages, in order. */
  static List<Slot> ofRequest(Dialect dialect, ObjectNode body) {
    List<Slot> out = new ArrayList<>();
    if (body.get("messages") instanceof ArrayNode messages) {
      for (JsonNode m : messages) {
        if (m instanceof ObjectNode message) {
          of(dialect, dialect == Dialect.OPENAI ? message : message.get("content"), out);
        }
      }
    }
    return out;
  }

  /** The calls' arguments in a whole answer, in order. */
  static List<Slot> ofAnswer(Dialect dialect, ObjectNode body) {
    List<Slot> out = new ArrayList<>();
    if (dialect == Dialect.ANTHROPIC) {
      of(dialect, body.get("content"), out);
    } else if (body.get("choices") instanceof ArrayNode choices) {
      for (JsonNode c : choices) {
        if (c.get("message") instanceof ObjectNode message) {
          of(dialect, message, out);
        }
      }
    }
    return out;
  }

  /** OpenAI: the calls of {@code node}, a message; Anthropic: the tool use parts of {@code node}, a content. */
  private static void of(Dialect dialect, JsonNode node, List<Slot> out) {
    if (dialect == Dialect.OPENAI) {
      if (node.get("tool_calls") instanceof ArrayNode calls) {
        for (JsonNode c : calls) {
          if (c.get("function") instanceof ObjectNode function) {
            function(function, out);
          }
        }
      }
      if (node.get("function_call") instanceof ObjectNode function) {
        function(function, out);
      }
      return;
    }
    if (node instanceof ArrayNode parts) {
      for (JsonNode p : parts) {
        if (p instanceof ObjectNode part && USES.contains(part.path("type").asText()) && part.get("input") != null) {
          out.add(new Slot(part, "input", part.get("input"), Form.VALUE));
        }
      }
    }
  }

  /** A function call's {@code arguments}: a JSON text, or (which some clients send) a JSON object or array. */
  private static void function(ObjectNode function, List<Slot> out) {
    JsonNode arguments = function.get("arguments");
    if (arguments == null) {
      return;
    }
    if (arguments.isTextual()) {
      out.add(ofText(function, "arguments", arguments.textValue()));
    } else if (arguments.isContainerNode()) {
      out.add(new Slot(function, "arguments", arguments, Form.VALUE));
    }
  }

  /** What the slots hold, in order. */
  static List<JsonNode> values(List<Slot> slots) {
    List<JsonNode> out = new ArrayList<>(slots.size());
    for (Slot s : slots) {
      out.add(s.value());
    }
    return out;
  }

  /**
   * {@code body}, or a copy of it with the arguments that changed from {@code before} to {@code
   * after} written back; {@code slots} reads a body's calls as {@code before} was read.
   */
  static ObjectNode withArguments(ObjectNode body, List<JsonNode> before, List<JsonNode> after, boolean copied,
      java.util.function.Function<ObjectNode, List<Slot>> slots) {
    boolean same = true;
    for (int i = 0; i < before.size() && same; i++) {
      same = before.get(i).equals(after.get(i));
    }
    if (same) {
      return body;
    }
    ObjectNode copy = copied ? body : body.deepCopy();
    List<Slot> at = slots.apply(copy);
    for (int i = 0; i < at.size(); i++) {
      if (!before.get(i).equals(after.get(i))) {
        at.get(i).write(after.get(i));
      }
    }
    return copy;
  }
}
