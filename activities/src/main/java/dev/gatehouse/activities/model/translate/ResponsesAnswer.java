package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.ModelUsage;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A chat completion as the answer of OpenAI's Responses API: a {@code response} object whose
 * {@code output} holds a {@code reasoning} item (when an OpenAI-compatible provider gave its
 * model's reasoning, as {@code reasoning_content} or {@code reasoning}), a {@code message} item (the
 * text, and a refusal when the model refused) and a {@code function_call} item per tool call, in
 * that order; {@code status} {@code completed}, or
 * {@code incomplete} when the model stopped at the output limit ({@code max_output_tokens}) or a
 * content filter; the usage in the Responses API's names. The request's settings are echoed as
 * OpenAI echoes them. Nothing is stored: {@code store} is false.
 */
public final class ResponsesAnswer {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ResponsesAnswer() {}

  /** A new id with {@code prefix} ({@code resp_}, {@code msg_}, {@code fc_}): 24 random bytes in hex. */
  public static String newId(String prefix) {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return prefix + HexFormat.of().formatHex(bytes);
  }

  /**
   * The Responses API's answer for {@code chat}, the chat completion made for {@code asked}; {@code
   * usage} what was metered of it (null: the usage {@code chat} reports).
   */
  public static ObjectNode of(ResponsesRequest.Translated asked, ObjectNode chat, ModelUsage usage, String id, long createdAt) {
    ObjectNode response = envelope(asked.request(), id, createdAt, Json.text(chat, "model"));
    ArrayNode output = response.putArray("output");
    JsonNode choice = chat.path("choices").path(0);
    JsonNode message = choice.path("message");
    String text = contentText(message.get("content"));
    String refusal = Json.text(message, "refusal");
    String finish = Json.text(choice, "finish_reason");
    String itemStatus = incompleteReason(finish) == null ? "completed" : "incomplete";
    String reasoning = reasoning(message);
    if (reasoning != null && !reasoning.isEmpty()) {
      output.add(reasoningItem(newId("rs_"), reasoning, "completed"));
    }
    if ((text != null && !text.isEmpty()) || (refusal != null && !refusal.isEmpty())) {
      ObjectNode item = messageItem(newId("msg_"), itemStatus);
      ArrayNode content = item.putArray("content");
      if (text != null && !text.isEmpty()) {
        content.add(textPart(text));
      }
      if (refusal != null && !refusal.isEmpty()) {
        content.add(refusalPart(refusal));
      }
      output.add(item);
    }
    for (JsonNode call : message.path("tool_calls")) {
      JsonNode function = call.path("function");
      output.add(functionCall(asked, newId("fc_"), Json.text(call, "id"), Json.text(function, "name"), String.valueOf(Json.text(function, "arguments")), "completed"));
    }
    end(response, finish, usage != null ? usage : Usages.fromOpenAi(chat.get("usage")));
    return response;
  }

  /**
   * A chat message's {@code content}: a string, or (which some OpenAI-compatible servers answer)
   * parts whose texts are joined; null when there is none. A probe's answer of parts came back
   * "completed" with no output.
   */
  private static String contentText(JsonNode content) {
    if (content == null || !content.isArray()) {
      return content != null && content.isTextual() ? content.textValue() : null;
    }
    StringBuilder sb = new StringBuilder();
    for (JsonNode part : content) {
      String t = Json.text(part, "text");
      if (t != null) {
        sb.append(t);
      }
    }
    return sb.toString();
  }

  /**
   * The response object without {@code output}: what OpenAI echoes of the request, {@code status}
   * {@code in_progress}, no usage yet.
   */
  static ObjectNode envelope(ObjectNode request, String id, long createdAt, String model) {
    ObjectNode response = Json.object().put("id", id).put("object", "response").put("created_at", createdAt);
    response.put("status", "in_progress");
    response.put("background", false);
    response.putNull("error");
    response.putNull("incomplete_details");
    echo(request, response, "instructions");
    echo(request, response, "max_output_tokens");
    response.put("model", model != null ? model : request.path("model").asText());
    echo(request, response, "parallel_tool_calls", true);
    response.putNull("previous_response_id");
    ObjectNode reasoning = response.putObject("reasoning");
    for (String name : new String[] {"effort", "summary"}) {
      JsonNode value = request.path("reasoning").path(name);
      reasoning.set(name, value.isTextual() ? value : null);
    }
    response.put("store", false);
    echo(request, response, "temperature");
    ObjectNode text = response.putObject("text");
    JsonNode format = request.path("text").path("format");
    if (format.isObject()) {
      text.set("format", format);
    } else {
      text.putObject("format").put("type", "text");
    }
    echo(request, response, "tool_choice", "auto");
    JsonNode tools = request.get("tools");
    response.set("tools", tools != null && tools.isArray() ? tools : Json.array());
    echo(request, response, "top_p");
    response.put("truncation", "disabled");
    response.putNull("usage");
    echo(request, response, "user");
    JsonNode metadata = request.get("metadata");
    response.set("metadata", metadata != null && metadata.isObject() ? metadata : Json.object());
    return response;
  }

  /** Ends {@code response}: its status by how the model stopped, and its usage. */
  static void end(ObjectNode response, String finishReason, ModelUsage usage) {
    String incomplete = incompleteReason(finishReason);
    if (incomplete == null) {
      response.put("status", "completed");
    } else {
      response.put("status", "incomplete");
      response.putObject("incomplete_details").put("reason", incomplete);
    }
    response.set("usage", usage == null ? null : usage(usage));
  }

  /** Why a response stopped short, in the Responses API's words; null when it did not. */
  static String incompleteReason(String finishReason) {
    if ("length".equals(finishReason)) {
      return "max_output_tokens";
    }
    return "content_filter".equals(finishReason) ? "content_filter" : null;
  }

  static ObjectNode usage(ModelUsage usage) {
    ObjectNode out = Json.object();
    out.put("input_tokens", usage.inputTokens());
    out.putObject("input_tokens_details").put("cached_tokens", usage.cachedInputTokens());
    out.put("output_tokens", usage.outputTokens());
    out.putObject("output_tokens_details").put("reasoning_tokens", usage.reasoningTokens());
    out.put("total_tokens", usage.totalTokens());
    return out;
  }

  /**
   * The reasoning an OpenAI-compatible provider put in a message or a delta ({@code
   * reasoning_content}, or {@code reasoning}); null when it gave none. OpenAI's chat API gives none.
   */
  static String reasoning(JsonNode messageOrDelta) {
    String text = Json.text(messageOrDelta, "reasoning_content");
    return text != null ? text : Json.text(messageOrDelta, "reasoning");
  }

  /** A reasoning item holding {@code text} as its {@code reasoning_text} (none while {@code text} is null). */
  static ObjectNode reasoningItem(String id, String text, String status) {
    ObjectNode item = Json.object().put("id", id).put("type", "reasoning").put("status", status);
    item.putArray("summary");
    ArrayNode content = item.putArray("content");
    if (text != null) {
      content.add(reasoningPart(text));
    }
    return item;
  }

  static ObjectNode reasoningPart(String text) {
    return Json.object().put("type", "reasoning_text").put("text", text);
  }

  static ObjectNode messageItem(String id, String status) {
    return Json.object().put("id", id).put("type", "message").put("status", status).put("role", "assistant");
  }

  static ObjectNode textPart(String text) {
    ObjectNode part = Json.object().put("type", "output_text").put("text", text);
    part.putArray("annotations");
    part.putArray("logprobs");
    return part;
  }

  static ObjectNode refusalPart(String refusal) {
    return Json.object().put("type", "refusal").put("refusal", refusal);
  }

  /** A function call item; a function a namespace groups is named by its own name and its namespace's, as the request named them. */
  static ObjectNode functionCall(ResponsesRequest.Translated asked, String id, String callId, String chatName, String arguments, String status) {
    ObjectNode item = Json.object().put("id", id).put("type", "function_call").put("status", status).put("call_id", callId);
    ResponsesRequest.Namespaced grouped = chatName == null ? null : asked.namespaced().get(chatName);
    if (grouped != null) {
      item.put("namespace", grouped.namespace()).put("name", grouped.name());
    } else {
      item.put("name", chatName);
    }
    return item.put("arguments", arguments);
  }

  private static void echo(ObjectNode request, ObjectNode response, String name) {
    response.set(name, request.get(name)); // null when absent
  }

  private static void echo(ObjectNode request, ObjectNode response, String name, Object absent) {
    JsonNode value = request.get(name);
    if (value != null && !value.isNull()) {
      response.set(name, value);
    } else if (absent instanceof Boolean b) {
      response.put(name, b);
    } else {
      response.put(name, String.valueOf(absent));
    }
  }
}
