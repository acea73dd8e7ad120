package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelUsage;

/**
 * An OpenAI chat completion (its first choice) as an Anthropic message: text and refusal as text
 * blocks, tool calls as {@code tool_use} blocks with their arguments parsed, the finish reason as
 * a stop reason ({@link StopReasons}), the usage with the cached part as {@code
 * cache_read_input_tokens}. The id is the provider's under {@code msg_}; the model is the
 * provider's.
 */
final class ToAnthropicAnswer {
  private ToAnthropicAnswer() {}

  static ObjectNode translate(ObjectNode body) {
    JsonNode choices = body.get("choices");
    if (choices == null || !choices.isArray() || choices.isEmpty() || !choices.get(0).path("message").isObject()) {
      throw Json.upstream("the provider's answer has no message", false);
    }
    JsonNode choice = choices.get(0);
    JsonNode message = choice.get("message");
    ObjectNode out = Json.object();
    out.put("id", Ids.anthropicMessage(Json.text(body, "id")));
    out.put("type", "message");
    out.put("role", "assistant");
    out.put("model", Json.text(body, "model"));
    ArrayNode content = out.putArray("content");
    JsonNode text = message.get("content");
    if (text != null && text.isTextual()) {
      addText(content, text.textValue());
    } else if (text != null && text.isArray()) {
      for (JsonNode part : text) {
        addText(content, Json.text(part, "text"));
      }
    }
    String refusal = Json.text(message, "refusal");
    addText(content, refusal);
    JsonNode calls = message.get("tool_calls");
    if (calls != null && calls.isArray()) {
      for (JsonNode call : calls) {
        content.add(toolUse(call));
      }
    }
    out.put("stop_reason", StopReasons.toAnthropic(Json.text(choice, "finish_reason"), refusal != null && !refusal.isEmpty()));
    out.putNull("stop_sequence");
    ModelUsage usage = Usages.fromOpenAi(body.get("usage"));
    out.set("usage", Usages.toAnthropic(usage == null ? ModelUsage.NONE : usage));
    return out;
  }

  /** A tool call of the provider's as a tool_use block; arguments that are not a JSON object make the answer invalid. */
  static ObjectNode toolUse(JsonNode call) {
    String id = Json.text(call, "id");
    String name = Json.text(call.path("function"), "name");
    String arguments = Json.text(call.path("function"), "arguments");
    if (id == null || name == null || arguments == null) {
      throw Json.upstream("the provider's answer has a tool call without an id, a name or arguments", false);
    }
    JsonNode input = arguments.isBlank() ? Json.object() : Json.parse(arguments);
    if (input == null || !input.isObject()) {
      throw Json.upstream("the provider's answer has tool call arguments that are not a JSON object", false);
    }
    ObjectNode block = Json.object().put("type", "tool_use").put("id", Ids.toolUse(id)).put("name", name);
    block.set("input", input);
    return block;
  }

  private static void addText(ArrayNode content, String text) {
    if (text != null && !text.isEmpty()) {
      content.addObject().put("type", "text").put("text", text);
    }
  }
}
