package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An OpenAI chat-completions request as an Anthropic Messages request. System and developer
 * messages, wherever they stand, become the top-level {@code system}; tool messages become {@code
 * tool_result} blocks of a user message; consecutive messages of one role are merged, since
 * Anthropic wants user and assistant to alternate; a {@code json_schema} response format becomes
 * Anthropic's structured output ({@code output_config.format}). What Anthropic cannot do
 * faithfully is refused ({@code invalid_request} naming the member); members that only tune
 * sampling or bookkeeping and have no Anthropic counterpart ({@code seed}, {@code
 * frequency_penalty}, {@code presence_penalty}, {@code logit_bias}, {@code store}, {@code
 * metadata}, {@code service_tier}, ...) are dropped.
 */
final class ToAnthropicRequest {
  /** Anthropic requires {@code max_tokens}; OpenAI does not: this is sent when the caller set none. */
  static final int DEFAULT_MAX_TOKENS = 4096;

  private ToAnthropicRequest() {}

  static ObjectNode translate(ObjectNode body, String providerModel, boolean stream) {
    refuseUnsupported(body);
    ObjectNode out = Json.object();
    out.put("model", providerModel);

    ArrayNode system = Json.array();
    boolean systemIsOneString = true;
    Turns turns = new Turns();
    ArrayNode messages = Members.array(body.get("messages"), "messages");
    for (int i = 0; i < messages.size(); i++) {
      String path = "messages[" + i + "]";
      ObjectNode message = Members.object(messages.get(i), path);
      String role = Members.text(message, "role", path + ".role");
      switch (role) {
        case "system", "developer" -> {
          JsonNode content = message.get("content");
          systemIsOneString &= content != null && content.isTextual();
          for (ObjectNode block : textBlocks(content, path + ".content")) {
            system.add(block);
          }
        }
        case "user" -> turns.add("user", userContent(message.get("content"), path + ".content"));
        case "assistant" -> turns.add("assistant", assistantContent(message, path));
        case "tool" -> turns.add("user", Content.of(toolResult(message, path)));
        case "function" -> throw Members.invalid(path + ".role", "`function` messages are not supported; use tool messages");
        default -> throw Members.invalid(path + ".role", "must be one of system, developer, user, assistant, tool");
      }
    }
    if (turns.isEmpty()) {
      throw Members.invalid("messages", "must hold at least one user, assistant or tool message");
    }
    if (system.size() == 1 && systemIsOneString) {
      out.put("system", system.get(0).get("text").textValue());
    } else if (!system.isEmpty()) {
      out.set("system", system);
    }
    out.set("messages", turns.json());

    Long maxTokens = Members.optionalPositive(body, "max_completion_tokens", "max_completion_tokens");
    if (maxTokens == null) {
      maxTokens = Members.optionalPositive(body, "max_tokens", "max_tokens");
    }
    out.put("max_tokens", maxTokens == null ? DEFAULT_MAX_TOKENS : maxTokens);
    JsonNode temperature = Members.optionalNumber(body, "temperature", "temperature");
    if (temperature != null) {
      if (temperature.doubleValue() > 1 || temperature.doubleValue() < 0) {
        throw Members.invalid("temperature", "must be between 0 and 1 for an Anthropic model");
      }
      out.set("temperature", temperature);
    }
    JsonNode topP = Members.optionalNumber(body, "top_p", "top_p");
    if (topP != null) {
      out.set("top_p", topP);
    }
    ArrayNode stop = Members.stopSequences(body, "stop");
    if (stop != null && !stop.isEmpty()) {
      out.set("stop_sequences", stop);
    }
    String user = Members.optionalText(body, "user", "user");
    if (user == null) {
      user = Members.optionalText(body, "safety_identifier", "safety_identifier");
    }
    if (user != null) {
      out.putObject("metadata").put("user_id", user);
    }
    tools(body, out);
    toolsOfTheHistory(out);
    outputFormat(body, out);
    if (stream) {
      out.put("stream", true);
    }
    return out;
  }

  /**
   * {@code response_format}: {@code text} is Anthropic's default, and {@code json_schema} is its
   * structured output, {@code output_config.format} ({@code {"type": "json_schema", "schema":
   * ...}}; the schema's {@code name}, {@code description} and {@code strict} have no counterpart:
   * Anthropic's output always follows the schema). {@code json_object} (JSON of no particular
   * shape) has none, and is refused.
   */
  private static void outputFormat(ObjectNode body, ObjectNode out) {
    if (!Members.present(body, "response_format")) {
      return;
    }
    ObjectNode format = Members.object(body.get("response_format"), "response_format");
    String type = Members.text(format, "type", "response_format.type");
    switch (type) {
      case "text" -> {}
      case "json_schema" -> {
        ObjectNode jsonSchema = Members.object(format.get("json_schema"), "response_format.json_schema");
        ObjectNode schema = Members.object(jsonSchema.get("schema"), "response_format.json_schema.schema");
        out.putObject("output_config").putObject("format").put("type", "json_schema").set("schema", schema.deepCopy());
      }
      default ->
          throw Members.invalid(
              "response_format", "of type `" + type + "` cannot be served by an Anthropic model (`text` or `json_schema` with a schema)");
    }
  }

  /** Members whose answer Anthropic cannot give, refused rather than quietly ignored. */
  private static void refuseUnsupported(ObjectNode body) {
    Long n = Members.optionalPositive(body, "n", "n");
    if (n != null && n > 1) {
      throw Members.invalid("n", "above 1 cannot be served by an Anthropic model");
    }
    if (Boolean.TRUE.equals(Members.optionalBoolean(body, "logprobs", "logprobs"))) {
      throw Members.invalid("logprobs", "cannot be served by an Anthropic model");
    }
    JsonNode top = Members.optionalNumber(body, "top_logprobs", "top_logprobs");
    if (top != null && top.asDouble() > 0) {
      throw Members.invalid("top_logprobs", "cannot be served by an Anthropic model");
    }
    if (Members.present(body, "web_search_options")) {
      // Searching is what the caller asked for: an answer without it would not say so.
      throw Members.invalid("web_search_options", "cannot be served by an Anthropic model through this API (Anthropic's web search is a server tool of /v1/messages)");
    }
    if (Members.present(body, "functions") || Members.present(body, "function_call")) {
      throw Members.invalid(Members.present(body, "functions") ? "functions" : "function_call", "is not supported; use tools and tool_choice");
    }
    if (Members.present(body, "audio")) {
      throw Members.invalid("audio", "cannot be served by an Anthropic model");
    }
  }

  private static void tools(ObjectNode body, ObjectNode out) {
    ArrayNode tools = Members.optionalArray(body, "tools", "tools");
    if (tools == null || tools.isEmpty()) {
      return; // tool_choice without tools means nothing, and Anthropic would refuse it
    }
    ArrayNode translated = out.putArray("tools");
    for (int i = 0; i < tools.size(); i++) {
      String path = "tools[" + i + "]";
      ObjectNode tool = Members.object(tools.get(i), path);
      String type = Members.text(tool, "type", path + ".type");
      if (!type.equals("function")) {
        throw Members.invalid(path + ".type", "must be `function` for an Anthropic model");
      }
      ObjectNode function = Members.object(tool.get("function"), path + ".function");
      ObjectNode definition = translated.addObject();
      definition.put("name", Members.text(function, "name", path + ".function.name"));
      String description = Members.optionalText(function, "description", path + ".function.description");
      if (description != null) {
        definition.put("description", description);
      }
      if (Members.present(function, "parameters")) {
        definition.set("input_schema", Members.object(function.get("parameters"), path + ".function.parameters").deepCopy());
      } else {
        ObjectNode schema = definition.putObject("input_schema");
        schema.put("type", "object");
        schema.putObject("properties");
      }
    }
    ObjectNode choice = toolChoice(body.get("tool_choice"));
    Boolean parallel = Members.optionalBoolean(body, "parallel_tool_calls", "parallel_tool_calls");
    if (Boolean.FALSE.equals(parallel)) {
      if (choice == null) {
        choice = Json.object().put("type", "auto");
      }
      if (!choice.get("type").textValue().equals("none")) {
        choice.put("disable_parallel_tool_use", true);
      }
    }
    if (choice != null) {
      out.set("tool_choice", choice);
    }
  }

  /**
   * Anthropic refuses a request whose messages hold tool calls or results but that defines no tools
   * ("Requests which include tool_use or tool_result blocks must define tools"), where OpenAI takes
   * it: a client's last turn often leaves the tools out (a summary, an agent handed off to that has
   * none). Such a request offers the tools its history calls, by name only, with {@code
   * tool_choice} {@code none}: the model reads the history as it was and calls nothing, as the
   * client asked.
   */
  private static void toolsOfTheHistory(ObjectNode out) {
    if (out.has("tools")) {
      return;
    }
    java.util.Set<String> called = new java.util.LinkedHashSet<>();
    for (JsonNode message : out.path("messages")) {
      for (JsonNode block : message.path("content")) {
        if ("tool_use".equals(Json.text(block, "type")) && Json.text(block, "name") != null) {
          called.add(Json.text(block, "name"));
        }
      }
    }
    if (called.isEmpty()) {
      return;
    }
    ArrayNode tools = out.putArray("tools");
    for (String name : called) {
      ObjectNode tool = tools.addObject().put("name", name).put("description", "Not offered for this turn.");
      tool.putObject("input_schema").put("type", "object");
    }
    out.putObject("tool_choice").put("type", "none");
  }

  private static ObjectNode toolChoice(JsonNode choice) {
    if (choice == null || choice.isNull()) {
      return null;
    }
    if (choice.isTextual()) {
      return switch (choice.textValue()) {
        case "auto" -> Json.object().put("type", "auto");
        case "none" -> Json.object().put("type", "none");
        case "required" -> Json.object().put("type", "any");
        default -> throw Members.invalid("tool_choice", "must be `auto`, `none`, `required` or a named function");
      };
    }
    ObjectNode named = Members.object(choice, "tool_choice");
    if (!"function".equals(Json.text(named, "type"))) {
      throw Members.invalid("tool_choice.type", "must be `function` for an Anthropic model");
    }
    ObjectNode function = Members.object(named.get("function"), "tool_choice.function");
    return Json.object().put("type", "tool").put("name", Members.text(function, "name", "tool_choice.function.name"));
  }

  /** System or tool content: a string, or an array of text parts. Empty text is left out (Anthropic refuses it). */
  private static List<ObjectNode> textBlocks(JsonNode content, String path) {
    List<ObjectNode> blocks = new ArrayList<>();
    if (content != null && content.isTextual()) {
      addText(blocks, content.textValue());
      return blocks;
    }
    if (content == null || !content.isArray()) {
      throw Members.invalid(path, "must be a string or an array of text parts");
    }
    for (int j = 0; j < content.size(); j++) {
      String partPath = path + "[" + j + "]";
      ObjectNode part = Members.object(content.get(j), partPath);
      if (!"text".equals(Json.text(part, "type"))) {
        throw Members.invalid(partPath + ".type", "must be `text`");
      }
      addText(blocks, Members.text(part, "text", partPath + ".text"));
    }
    return blocks;
  }

  private static Content userContent(JsonNode content, String path) {
    if (content != null && content.isTextual()) {
      return Content.plain(content.textValue());
    }
    if (content == null || !content.isArray()) {
      throw Members.invalid(path, "must be a string or an array of content parts");
    }
    List<ObjectNode> blocks = new ArrayList<>();
    for (int j = 0; j < content.size(); j++) {
      String partPath = path + "[" + j + "]";
      ObjectNode part = Members.object(content.get(j), partPath);
      String type = Members.text(part, "type", partPath + ".type");
      switch (type) {
        case "text" -> addText(blocks, Members.text(part, "text", partPath + ".text"));
        case "image_url" -> {
          ObjectNode image = Members.object(part.get("image_url"), partPath + ".image_url");
          blocks.add(image(Members.text(image, "url", partPath + ".image_url.url"), partPath + ".image_url.url"));
        }
        case "input_audio", "file" -> throw Members.invalid(partPath + ".type", "`" + type + "` cannot be sent to an Anthropic model");
        default -> throw Members.invalid(partPath + ".type", "must be `text` or `image_url`");
      }
    }
    return Content.of(blocks);
  }

  /** A data URL becomes a base64 source, an http(s) URL a url source; nothing else is an image Anthropic can fetch. */
  private static ObjectNode image(String url, String path) {
    ObjectNode block = Json.object().put("type", "image");
    ObjectNode source = block.putObject("source");
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("data:")) {
      int comma = url.indexOf(',');
      String header = comma < 0 ? "" : url.substring("data:".length(), comma);
      if (comma < 0 || !header.toLowerCase(Locale.ROOT).endsWith(";base64")) {
        throw Members.invalid(path, "must be a base64 data URL (data:image/png;base64,...) or an http(s) URL");
      }
      String mediaType = header.substring(0, header.indexOf(';'));
      source.put("type", "base64").put("media_type", mediaType).put("data", url.substring(comma + 1));
    } else if (lower.startsWith("https://") || lower.startsWith("http://")) {
      source.put("type", "url").put("url", url);
    } else {
      throw Members.invalid(path, "must be a base64 data URL (data:image/png;base64,...) or an http(s) URL");
    }
    return block;
  }

  private static Content assistantContent(ObjectNode message, String path) {
    if (Members.present(message, "function_call")) {
      throw Members.invalid(path + ".function_call", "is not supported; use tool_calls");
    }
    JsonNode content = message.get("content");
    ArrayNode calls = Members.optionalArray(message, "tool_calls", path + ".tool_calls");
    boolean noCalls = calls == null || calls.isEmpty();
    if (content != null && content.isTextual() && noCalls) {
      return content.textValue().isEmpty() ? Content.of(List.of()) : Content.plain(content.textValue());
    }
    List<ObjectNode> blocks = new ArrayList<>();
    if (content != null && content.isTextual()) {
      addText(blocks, content.textValue());
    } else if (content != null && content.isArray()) {
      for (int j = 0; j < content.size(); j++) {
        String partPath = path + ".content[" + j + "]";
        ObjectNode part = Members.object(content.get(j), partPath);
        String type = Members.text(part, "type", partPath + ".type");
        switch (type) {
          case "text" -> addText(blocks, Members.text(part, "text", partPath + ".text"));
          case "refusal" -> addText(blocks, Members.text(part, "refusal", partPath + ".refusal"));
          default -> throw Members.invalid(partPath + ".type", "must be `text` or `refusal`");
        }
      }
    } else if (content != null && !content.isNull()) {
      throw Members.invalid(path + ".content", "must be a string, an array of text parts or null");
    }
    for (int j = 0; !noCalls && j < calls.size(); j++) {
      blocks.add(toolUse(calls.get(j), path + ".tool_calls[" + j + "]"));
    }
    return Content.of(blocks);
  }

  private static ObjectNode toolUse(JsonNode node, String path) {
    ObjectNode call = Members.object(node, path);
    String type = Members.optionalText(call, "type", path + ".type");
    if (type != null && !type.equals("function")) {
      throw Members.invalid(path + ".type", "must be `function` for an Anthropic model");
    }
    ObjectNode function = Members.object(call.get("function"), path + ".function");
    ObjectNode block = Json.object().put("type", "tool_use");
    block.put("id", Ids.toolUse(Members.text(call, "id", path + ".id")));
    block.put("name", Members.text(function, "name", path + ".function.name"));
    String arguments = Members.text(function, "arguments", path + ".function.arguments");
    JsonNode input = arguments.isBlank() ? Json.object() : Json.parse(arguments);
    if (input == null) {
      throw Members.invalid(path + ".function.arguments", "is not valid JSON");
    }
    if (!input.isObject()) {
      throw Members.invalid(path + ".function.arguments", "must be a JSON object");
    }
    block.set("input", input);
    return block;
  }

  private static ObjectNode toolResult(ObjectNode message, String path) {
    ObjectNode block = Json.object().put("type", "tool_result");
    block.put("tool_use_id", Ids.toolUse(Members.text(message, "tool_call_id", path + ".tool_call_id")));
    JsonNode content = message.get("content");
    if (content != null && content.isTextual()) {
      block.put("content", content.textValue());
    } else {
      ArrayNode blocks = block.putArray("content");
      textBlocks(content, path + ".content").forEach(blocks::add);
    }
    return block;
  }

  private static void addText(List<ObjectNode> blocks, String text) {
    if (!text.isEmpty()) {
      blocks.add(Json.object().put("type", "text").put("text", text));
    }
  }

  /** A message's content: a plain string as the caller wrote it, or blocks. */
  private record Content(String plain, List<ObjectNode> blocks) {
    static Content plain(String text) {
      return new Content(text, null);
    }

    static Content of(ObjectNode block) {
      return new Content(null, List.of(block));
    }

    static Content of(List<ObjectNode> blocks) {
      return new Content(null, blocks);
    }

    boolean isEmpty() {
      return plain == null && blocks.isEmpty();
    }

    List<ObjectNode> asBlocks() {
      List<ObjectNode> list = new ArrayList<>();
      if (plain != null) {
        addText(list, plain);
      } else {
        list.addAll(blocks);
      }
      return list;
    }
  }

  /** The conversation, one entry per turn: a message of the role of the one before is merged into it. */
  private static final class Turns {
    private final List<String> roles = new ArrayList<>();
    private final List<Content> contents = new ArrayList<>();

    void add(String role, Content content) {
      if (content.isEmpty()) {
        return; // an assistant message with no text and no tool calls says nothing
      }
      int last = roles.size() - 1;
      if (last >= 0 && roles.get(last).equals(role)) {
        List<ObjectNode> merged = contents.get(last).asBlocks();
        merged.addAll(content.asBlocks());
        contents.set(last, Content.of(merged));
      } else {
        roles.add(role);
        contents.add(content);
      }
    }

    boolean isEmpty() {
      return roles.isEmpty();
    }

    ArrayNode json() {
      ArrayNode out = Json.array();
      for (int i = 0; i < roles.size(); i++) {
        ObjectNode message = out.addObject().put("role", roles.get(i));
        Content content = contents.get(i);
        if (content.plain() != null) {
          message.put("content", content.plain());
        } else {
          message.putArray("content").addAll(content.blocks());
        }
      }
      return out;
    }
  }
}
