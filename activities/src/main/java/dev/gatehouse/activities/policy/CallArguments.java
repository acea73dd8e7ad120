package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.text.UpstreamJson;
import dev.gatehouse.policies.pii.JsonRedactor;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 *       function_call.arguments}, a JSON text: read parsed (a member name written twice is kept
 *       twice, the second as {@code name#2}: a reader that keeps the last, or the first, gets
 *       nothing that was not read), and as one text when it is not one JSON value (a model's
 *       broken JSON, a client's anything), its numbers with a fraction or an exponent read as
 *       their plain digits there too. A redacted one is written back compact.
 *   <li>Anthropic: a {@code tool_use}, {@code server_tool_use} or {@code mcp_tool_use} part's
 *       {@code input}, a JSON value.
 * </ul>
 */
final class CallArguments {
  /** What a call's JSON text is read with: Jackson's and {@link UpstreamJson}'s limits. */
  private static final JsonFactory JSON = UpstreamJson.bounded(new ObjectMapper()).getFactory();

  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  /** A JSON number with a fraction or an exponent, as it may stand in a text that is not JSON. */
  private static final Pattern DECIMAL = Pattern.compile("(?<![\\w.+-])-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?(?![\\w.])");

  private static final List<String> USES = List.of("tool_use", "server_tool_use", "mcp_tool_use");

  private CallArguments() {}

  /** How a call's arguments are written where they are. */
  enum Form {
    /** A JSON text that parses: {@link Slot#value} is what it holds. */
    JSON_TEXT,
    /** A text that is not one JSON value: {@link Slot#value} is the text (its decimal numbers written plain). */
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
      return new Slot(owner, member, read(text), Form.JSON_TEXT);
    } catch (IOException e) {
      return new Slot(owner, member, TextNode.valueOf(plainNumbers(text)), Form.RAW_TEXT);
    }
  }

  /** {@code text}, one JSON value and nothing after it, as a tree; a member name that repeats is kept as {@code name#2}, {@code name#3}... */
  private static JsonNode read(String text) throws IOException {
    try (JsonParser p = JSON.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new IOException("no JSON value");
      }
      JsonNode value = value(p, first);
      if (p.nextToken() != null) {
        throw new IOException("more than one JSON value");
      }
      return value;
    } catch (RuntimeException e) {
      throw new IOException(e); // a number past Jackson's limits, and the like
    }
  }

  private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case START_OBJECT -> {
        ObjectNode o = NODES.objectNode();
        for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
          String name = p.currentName();
          JsonNode v = value(p, p.nextToken());
          String key = name;
          for (int i = 2; o.has(key); i++) {
            key = name + "#" + i;
          }
          o.set(key, v);
        }
        return o;
      }
      case START_ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
          a.add(value(p, v));
        }
        return a;
      }
      case VALUE_STRING -> {
        return NODES.textNode(p.getText());
      }
      case VALUE_NUMBER_INT -> {
        return NODES.numberNode(p.getBigIntegerValue());
      }
      case VALUE_NUMBER_FLOAT -> {
        return NODES.numberNode(p.getDecimalValue());
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return NODES.booleanNode(t == JsonToken.VALUE_TRUE);
      }
      case VALUE_NULL -> {
        return NODES.nullNode();
      }
      default -> throw new IOException("unexpected " + t);
    }
  }

  /**
   * {@code text} with each number that has a fraction or an exponent written as its plain digits
   * ({@code 4.111111111111111E15} as {@code 4111111111111111}), as a JSON reader would take it
   * (at most 64 digits; longer ones as they are).
   */
  static String plainNumbers(String text) {
    Matcher m = DECIMAL.matcher(text);
    StringBuilder out = null;
    int at = 0;
    while (m.find()) {
      String n = m.group();
      if (n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0) {
        continue;
      }
      String plain;
      try {
        plain = JsonRedactor.plainDigits(new BigDecimal(n));
      } catch (NumberFormatException | ArithmeticException e) {
        plain = null;
      }
      if (plain == null || plain.equals(n)) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(text, at, m.start()).append(plain);
      at = m.end();
    }
    return out == null ? text : out.append(text, at, text.length()).toString();
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
