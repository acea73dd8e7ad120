package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.workflows.tool.StoredResult;
import dev.gatehouse.workflows.tool.ToolResults;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the agent loop sends the model and what it reads back: the chat request, the tool calls
 * an answer asks for, and the tool messages that answer them. Pure and deterministic: workflow
 * code calls it.
 */
public final class AgentTranscript {
  /** The most characters of one tool result the model receives; the rest is cut, and it is told so. */
  public static final int MAX_RESULT_CHARS = 16 * 1024;
  /** The largest transcript a task keeps (its JSON text): past it the task fails. */
  public static final int MAX_CHARS = 512 * 1024;
  /** The most tool calls of one answer that run; the model is told the others were not run. */
  public static final int MAX_TOOL_CALLS_PER_STEP = 16;
  /**
   * A tool result longer than this (its content as the model reads it) is stored outside the
   * history: the transcript keeps a reference and a preview, and {@code Model.Call} reads the
   * result back before the request goes to the provider.
   */
  public static final int STORE_RESULTS_OVER = 4 * 1024;
  /**
   * The member of a tool message that names its stored result. Gatehouse's own: {@code
   * Model.Call} replaces the message's content with the result and removes the member before
   * the provider sees the request.
   */
  public static final String RESULT_MEMBER = "gatehouse_result";

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private AgentTranscript() {}

  /** One tool call an answer asks for: the model's id for it, the function it names, its arguments as sent. */
  public record ToolCall(String id, String function, String arguments) {}

  /** The chat request of one step: the transcript, the tools' schemas, and {@code max_tokens}. */
  static ObjectNode request(String model, List<ObjectNode> messages, List<AgentTool> tools, int maxOutputTokens) {
    ObjectNode body = JSON.objectNode();
    body.put("model", model);
    ArrayNode m = body.putArray("messages");
    messages.forEach(m::add);
    if (!tools.isEmpty()) {
      ArrayNode t = body.putArray("tools");
      for (AgentTool tool : tools) {
        ObjectNode fn = t.addObject().put("type", "function").putObject("function");
        fn.put("name", tool.function());
        if (tool.description() != null) {
          fn.put("description", tool.description());
        }
        fn.set("parameters", tool.parameters() == null ? JSON.objectNode().put("type", "object") : tool.parameters());
      }
    }
    body.put("max_tokens", maxOutputTokens);
    return body;
  }

  /**
   * The tool calls of an assistant message as {@link #assistantMessage} keeps it (OpenAI's {@code
   * tool_calls}, each with its id); empty when it has none.
   */
  static List<ToolCall> toolCalls(ObjectNode message) {
    List<ToolCall> calls = new ArrayList<>();
    JsonNode list = message == null ? null : message.get("tool_calls");
    if (list == null || !list.isArray()) {
      return calls;
    }
    for (JsonNode call : list) {
      if (!call.isObject()) {
        continue;
      }
      JsonNode fn = call.path("function");
      String id = call.path("id").asText("");
      String name = fn.path("name").isTextual() ? fn.get("name").textValue() : "";
      JsonNode args = fn.get("arguments");
      String arguments = args == null || args.isNull() ? "{}" : args.isTextual() ? args.textValue() : args.toString();
      calls.add(new ToolCall(id, name, arguments));
    }
    return calls;
  }

  /**
   * A call's arguments as the tool receives them: the JSON they hold, or, when they are not JSON,
   * their text, which no tool's object schema accepts, so the tool activity refuses the call with
   * its own {@code invalid_arguments} and the model reads why.
   */
  static JsonNode arguments(String text) {
    try {
      JsonNode parsed = MAPPER.readTree(text);
      return parsed == null || parsed.isMissingNode() ? TextNode.valueOf(text) : parsed;
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(text);
    }
  }

  /**
   * The answer's message as the transcript keeps it: the model's message (a copy), or, when the
   * answer had none, an assistant message with its text. Of its {@code tool_calls}, an entry that
   * is not an object is not a call and is left out (sent back, a provider refuses the next step);
   * a call with no id, or with the id of an earlier call of the same answer, gets one made up
   * from {@code step} and its place, unlike any other id of the answer, so each tool message
   * answers exactly one call.
   */
  static ObjectNode assistantMessage(ObjectNode message, String content, int step) {
    if (message != null) {
      ObjectNode copy = message.deepCopy();
      if (!copy.has("role")) {
        copy.put("role", "assistant");
      }
      if (copy.get("tool_calls") instanceof ArrayNode calls) {
        ArrayNode kept = copy.arrayNode();
        Set<String> given = new HashSet<>();
        for (JsonNode call : calls) {
          if (call instanceof ObjectNode o) {
            kept.add(o);
            if (o.path("id").isTextual()) {
              given.add(o.get("id").textValue());
            }
          }
        }
        Set<String> used = new HashSet<>();
        for (int i = 0; i < kept.size(); i++) {
          ObjectNode o = (ObjectNode) kept.get(i);
          if (!o.path("id").isTextual() || !used.add(o.get("id").textValue())) {
            String id = madeUpId(step, i + 1);
            for (int k = 2; given.contains(id) || used.contains(id); k++) {
              id = madeUpId(step, i + 1) + "_" + k;
            }
            used.add(id);
            o.put("id", id);
          }
        }
        if (kept.isEmpty()) {
          copy.remove("tool_calls");
        } else {
          copy.set("tool_calls", kept);
        }
      }
      return copy;
    }
    ObjectNode m = JSON.objectNode().put("role", "assistant");
    return content == null ? m.putNull("content") : m.put("content", content);
  }

  /** The id made up for the {@code n}th call (from 1) of step {@code step}'s answer. */
  private static String madeUpId(int step, int n) {
    return "call_" + step + "_" + n;
  }

  /** The tool message answering call {@code id} with {@code content}. */
  static ObjectNode toolMessage(String id, String content) {
    return JSON.objectNode().put("role", "tool").put("tool_call_id", id).put("content", content);
  }

  /**
   * The tool message answering call {@code id} with a result stored outside the history: a
   * content saying so, with the result's preview (what the model reads should the result be
   * unavailable), and {@link #RESULT_MEMBER} naming it.
   */
  static ObjectNode storedToolMessage(String id, StoredResult stored) {
    String content =
        "[gatehouse: the result (" + stored.chars() + " characters) is stored as " + stored.id() + "; its first "
            + stored.preview().length() + " characters follow]\n" + stored.preview();
    return toolMessage(id, content).put(RESULT_MEMBER, stored.id());
  }

  /** The content of a tool's result for the model: its text, or its JSON as text; cut to {@link #MAX_RESULT_CHARS}. */
  static String resultText(JsonNode output) {
    return ToolResults.cut(ToolResults.text(output), MAX_RESULT_CHARS);
  }

  /**
   * The content of a stored result for the model, as {@link #resultText} would have made it: the
   * result had {@code chars} characters, and {@code start} holds at least the first {@link
   * #MAX_RESULT_CHARS} of them (or all).
   */
  public static String storedResultText(String start, int chars) {
    return ToolResults.cut(start, MAX_RESULT_CHARS, chars);
  }

  /** The content of a refused or failed tool call: an {@code error} object the model can read. */
  static String errorText(String code, String message) {
    ObjectNode error = JSON.objectNode();
    error.putObject("error").put("code", code).put("message", message);
    return error.toString();
  }

  /** The size of a message as the transcript limit counts it (its JSON text). */
  static long chars(ObjectNode message) {
    return message.toString().length();
  }
}
