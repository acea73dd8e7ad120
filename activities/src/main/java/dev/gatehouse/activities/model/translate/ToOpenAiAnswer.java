package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelUsage;
import java.time.Clock;

/**
 * An Anthropic message as an OpenAI chat completion with one choice: text blocks joined into the
 * content, {@code tool_use} blocks as {@code tool_calls} (input as a JSON string), the stop
 * reason as a finish reason ({@link StopReasons}), the usage with every input token in {@code
 * prompt_tokens}. Thinking blocks are left out (OpenAI's format has no place for them). The id is
 * the provider's under {@code chatcmpl-}; the model is the provider's; {@code created} is now.
 */
final class ToOpenAiAnswer {
  private ToOpenAiAnswer() {}

  static ObjectNode translate(ObjectNode body, Clock clock) {
    JsonNode content = body.get("content");
    if (content == null || !content.isArray()) {
      throw Json.upstream("the provider's answer has no content", false);
    }
    StringBuilder text = new StringBuilder();
    ArrayNode calls = Json.array();
    for (JsonNode block : content) {
      String type = Json.text(block, "type");
      if ("text".equals(type)) {
        text.append(Json.text(block, "text") == null ? "" : Json.text(block, "text"));
      } else if ("tool_use".equals(type)) {
        String id = Json.text(block, "id");
        String name = Json.text(block, "name");
        if (id == null || name == null || !block.path("input").isObject()) {
          throw Json.upstream("the provider's answer has a tool_use block without an id, a name or an input", false);
        }
        ObjectNode call = calls.addObject().put("id", id).put("type", "function");
        call.putObject("function").put("name", name).put("arguments", Json.write(block.get("input")));
      }
    }
    ObjectNode message = Json.object().put("role", "assistant");
    if (text.length() == 0 && !calls.isEmpty()) {
      message.putNull("content");
    } else {
      message.put("content", text.toString());
    }
    message.putNull("refusal");
    if (!calls.isEmpty()) {
      message.set("tool_calls", calls);
    }

    ObjectNode out = Json.object();
    out.put("id", Ids.openAiCompletion(Json.text(body, "id")));
    out.put("object", "chat.completion");
    out.put("created", clock.instant().getEpochSecond());
    out.put("model", Json.text(body, "model"));
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("message", message);
    choice.putNull("logprobs");
    choice.put("finish_reason", StopReasons.toOpenAi(Json.text(body, "stop_reason")));
    ModelUsage usage = Usages.fromAnthropic(body.get("usage"));
    out.set("usage", Usages.toOpenAi(usage == null ? ModelUsage.NONE : usage));
    return out;
  }
}
