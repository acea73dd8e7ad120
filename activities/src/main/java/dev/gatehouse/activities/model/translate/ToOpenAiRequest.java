package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * An Anthropic Messages request as an OpenAI chat-completions request. The top-level {@code
 * system} becomes the first (system) message, and a system message among the messages one in its
 * place (after the tool results that answer the tool calls before it); {@code tool_result} blocks
 * become tool messages, placed before the rest of their user message as OpenAI wants them right
 * after the assistant's tool calls; {@code tool_use} blocks become {@code tool_calls} with their
 * input as a JSON string; structured output ({@code output_config.format}) becomes a {@code
 * json_schema} response format. Thinking blocks, {@code cache_control}, {@code top_k}, {@code
 * thinking} and {@code is_error} have no OpenAI counterpart and are dropped; documents become
 * {@code file} parts (a PDF) or text; images and PDFs a tool returned follow the tool messages in
 * the user message (a tool message holds text only); server tools, and documents by URL or file id,
 * are refused ({@code invalid_request} naming the member).
 */
final class ToOpenAiRequest {
  /**
   * The member the output limit goes in: OpenAI's current name ({@code max_tokens} is deprecated,
   * and refused by its reasoning models).
   */
  static final String MAX_TOKENS_MEMBER = "max_completion_tokens";

  private ToOpenAiRequest() {}

  static ObjectNode translate(ObjectNode body, String providerModel, boolean stream) {
    ObjectNode out = Json.object();
    out.put("model", providerModel);
    ArrayNode messages = out.putArray("messages");
    if (Members.present(body, "system")) {
      JsonNode system = body.get("system");
      String text = system.isTextual() ? system.textValue() : joinedText(system, "system");
      messages.addObject().put("role", "system").put("content", text);
    }
    ArrayNode input = Members.array(body.get("messages"), "messages");
    List<String> heldSystem = new ArrayList<>();
    for (int i = 0; i < input.size(); i++) {
      String path = "messages[" + i + "]";
      ObjectNode message = Members.object(input.get(i), path);
      String role = Members.text(message, "role", path + ".role");
      switch (role) {
        case "user" -> {
          user(message.get("content"), path + ".content", messages);
          addSystem(heldSystem, messages);
        }
        case "assistant" -> {
          addSystem(heldSystem, messages);
          messages.add(assistant(message.get("content"), path + ".content"));
        }
        case "system" -> {
          // A system message mid-conversation (Anthropic's mid-conversation-system beta; Claude
          // Code sends one on its first turn) is one where it stands, as OpenAI takes them
          // anywhere; but not between an assistant's tool calls and their results, which OpenAI
          // wants next to each other: there it waits until the results are in.
          JsonNode content = message.get("content");
          if (content == null || content.isNull()) {
            throw Members.invalid(path + ".content", "must be a string or an array of text blocks");
          }
          heldSystem.add(content.isTextual() ? content.textValue() : joinedText(content, path + ".content"));
          if (!awaitingToolResults(messages)) {
            addSystem(heldSystem, messages);
          }
        }
        default -> throw Members.invalid(path + ".role", "must be `user`, `assistant` or `system`");
      }
    }
    addSystem(heldSystem, messages);

    Long maxTokens = Members.optionalPositive(body, "max_tokens", "max_tokens");
    if (maxTokens != null) {
      out.put(MAX_TOKENS_MEMBER, maxTokens);
    }
    for (String name : List.of("temperature", "top_p")) {
      JsonNode value = Members.optionalNumber(body, name, name);
      if (value != null) {
        out.set(name, value);
      }
    }
    ArrayNode stop = Members.stopSequences(body, "stop_sequences");
    if (stop != null && !stop.isEmpty()) {
      out.set("stop", stop);
    }
    if (Members.present(body, "metadata")) {
      ObjectNode metadata = Members.object(body.get("metadata"), "metadata");
      String user = Members.optionalText(metadata, "user_id", "metadata.user_id");
      if (user != null) {
        out.put("user", user);
      }
    }
    tools(body, out);
    responseFormat(body, out);
    if (stream) {
      out.put("stream", true);
      out.putObject("stream_options").put("include_usage", true);
    }
    return out;
  }

  /**
   * Anthropic's structured output, {@code output_config.format} (or the beta's top-level {@code
   * output_format}), {@code {"type": "json_schema", "schema": ...}}, as OpenAI's {@code
   * response_format} {@code json_schema}, named {@value #SCHEMA_NAME} (OpenAI wants a name,
   * Anthropic has none). Not {@code strict}: OpenAI's strict mode refuses a schema Anthropic
   * takes (one whose object has a member it does not require, as an SDK's schema of a type with
   * optional fields has), so the model is given the schema without OpenAI's guarantee that its
   * answer follows it. Dropping it would hand the caller free text where it asked for the schema's
   * JSON. The rest of {@code output_config} (such as {@code effort}) has no counterpart and is
   * dropped.
   */
  private static void responseFormat(ObjectNode body, ObjectNode out) {
    String path = "output_config.format";
    JsonNode format = null;
    if (Members.present(body, "output_config")) {
      format = Members.object(body.get("output_config"), "output_config").get("format");
    }
    if (format == null || format.isNull()) {
      path = "output_format";
      format = body.get("output_format");
    } else if (Members.present(body, "output_format")) {
      throw Members.invalid("output_format", "cannot be sent with output_config.format; send one");
    }
    if (format == null || format.isNull()) {
      return;
    }
    ObjectNode given = Members.object(format, path);
    String type = Members.text(given, "type", path + ".type");
    if (!type.equals("json_schema")) {
      throw Members.invalid(path + ".type", "must be `json_schema`");
    }
    ObjectNode schema = Members.object(given.get("schema"), path + ".schema");
    out.putObject("response_format")
        .put("type", "json_schema")
        .putObject("json_schema")
        .put("name", SCHEMA_NAME)
        .put("strict", false)
        .set("schema", schema.deepCopy());
  }

  /** The name OpenAI's {@code json_schema} response format needs, for a schema Anthropic's API gave none. */
  static final String SCHEMA_NAME = "output";

  private static void user(JsonNode content, String path, ArrayNode messages) {
    if (content != null && content.isTextual()) {
      messages.addObject().put("role", "user").put("content", content.textValue());
      return;
    }
    if (content == null || !content.isArray()) {
      throw Members.invalid(path, "must be a string or an array of content blocks");
    }
    List<ObjectNode> parts = new ArrayList<>();
    // Images and PDFs a tool returned: an OpenAI tool message holds text only, so they follow the
    // tool messages in the user message, each tool's after a line saying whose they are.
    List<ObjectNode> toolAttachments = new ArrayList<>();
    for (int j = 0; j < content.size(); j++) {
      String blockPath = path + "[" + j + "]";
      ObjectNode block = Members.object(content.get(j), blockPath);
      String type = Members.text(block, "type", blockPath + ".type");
      switch (type) {
        case "tool_result" -> {
          ObjectNode tool = messages.addObject().put("role", "tool");
          String id = Members.text(block, "tool_use_id", blockPath + ".tool_use_id");
          tool.put("tool_call_id", id);
          JsonNode result = block.get("content");
          tool.put("content", result == null || result.isNull() ? "" : result.isTextual() ? result.textValue() : toolResult(result, id, blockPath + ".content", toolAttachments));
        }
        case "text" -> parts.add(Json.object().put("type", "text").put("text", Members.text(block, "text", blockPath + ".text")));
        case "image" -> parts.add(image(block, blockPath));
        case "document" -> parts.addAll(document(block, blockPath));
        default -> throw Members.invalid(blockPath + ".type", "`" + type + "` cannot be sent to an OpenAI model (only text, image, document and tool_result)");
      }
    }
    parts.addAll(0, toolAttachments);
    if (!parts.isEmpty()) {
      messages.addObject().put("role", "user").putArray("content").addAll(parts);
    }
  }

  /**
   * A tool result's blocks: its text (a text document's too), joined, for the tool message; its
   * images and PDF documents added to {@code attached} (after a text part naming the call) for the
   * user message that follows.
   */
  private static String toolResult(JsonNode blocks, String id, String path, List<ObjectNode> attached) {
    if (!blocks.isArray()) {
      throw Members.invalid(path, "must be a string or an array of text, image and document blocks");
    }
    ArrayNode texts = Json.array();
    List<ObjectNode> found = new ArrayList<>();
    for (int k = 0; k < blocks.size(); k++) {
      String blockPath = path + "[" + k + "]";
      ObjectNode block = Members.object(blocks.get(k), blockPath);
      String type = Members.text(block, "type", blockPath + ".type");
      switch (type) {
        case "text" -> texts.add(block);
        case "image" -> found.add(image(block, blockPath));
        case "document" -> {
          for (ObjectNode part : document(block, blockPath)) {
            if ("text".equals(Json.text(part, "type"))) {
              texts.add(part);
            } else {
              found.add(part);
            }
          }
        }
        default -> throw Members.invalid(blockPath + ".type", "must be `text`, `image` or `document` for an OpenAI model");
      }
    }
    String what = attachments(found);
    if (!found.isEmpty()) {
      attached.add(Json.object().put("type", "text").put("text", "The " + what + " tool call " + id + " returned:"));
      attached.addAll(found);
    }
    String text = texts.isEmpty() ? "" : joinedText(texts, path);
    return found.isEmpty() || !text.isEmpty() ? text : "(the result is the " + what + " in the next message)";
  }

  /** Whether {@code data} is base64 as Anthropic takes it: not empty, its alphabet, padding and line breaks only (no {@code data:} prefix). */
  private static boolean base64(String data) {
    for (int i = 0; i < data.length(); i++) {
      char c = data.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n')) {
        return false;
      }
    }
    return !data.isEmpty();
  }

  /** A file part's name for a document titled {@code title}: its first 128 characters, with no control character, quote or path separator. */
  private static String filename(String title) {
    if (title == null || title.isBlank()) {
      return "document.pdf";
    }
    String name = title.codePoints().limit(128)
        .map(c -> Character.isISOControl(c) || c == '/' || c == '\\' || c == '"' ? '_' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString().strip();
    return name.isEmpty() ? "document.pdf" : name;
  }

  /** What {@code parts} are, in words: "image", "images", "document", "documents" or "attachments". */
  private static String attachments(List<ObjectNode> parts) {
    boolean images = parts.stream().allMatch(p -> "image_url".equals(Json.text(p, "type")));
    boolean files = parts.stream().allMatch(p -> "file".equals(Json.text(p, "type")));
    String noun = images ? "image" : files ? "document" : "attachment";
    return parts.size() > 1 || (!images && !files) ? noun + "s" : noun;
  }

  /**
   * A document block as OpenAI parts: a PDF ({@code base64} source) as a {@code file} part named by
   * its title (made a safe file name); a {@code text} source as a text part; a {@code content}
   * source as its text (a string) or its text and image parts; the title and context, when given,
   * as a text part before it. A document by URL or by file id (Anthropic's Files API) has no OpenAI
   * counterpart. Citations, which OpenAI does not give, are not asked for.
   */
  private static List<ObjectNode> document(ObjectNode block, String path) {
    ObjectNode source = Members.object(block.get("source"), path + ".source");
    String type = Members.text(source, "type", path + ".source.type");
    StringBuilder heading = new StringBuilder();
    String title = Members.optionalText(block, "title", path + ".title");
    String context = Members.optionalText(block, "context", path + ".context");
    for (String line : new String[] {title, context}) {
      if (line != null && !line.isEmpty()) {
        heading.append(line).append("\n\n");
      }
    }
    List<ObjectNode> parts = new ArrayList<>();
    switch (type) {
      case "base64" -> {
        String mediaType = Members.text(source, "media_type", path + ".source.media_type");
        if (!mediaType.split(";", 2)[0].strip().equalsIgnoreCase("application/pdf")) {
          throw Members.invalid(path + ".source.media_type", "must be `application/pdf` for an OpenAI model");
        }
        String data = Members.text(source, "data", path + ".source.data");
        if (!base64(data)) {
          throw Members.invalid(path + ".source.data", "must be the PDF's bytes in base64 (not empty, no data: prefix)");
        }
        if (heading.length() > 0) {
          parts.add(Json.object().put("type", "text").put("text", heading.toString().strip()));
        }
        ObjectNode file = Json.object().put("filename", filename(title));
        file.put("file_data", "data:application/pdf;base64," + data);
        parts.add(Json.typed("file", file));
      }
      case "text" -> parts.add(Json.object().put("type", "text").put("text", heading + Members.text(source, "data", path + ".source.data")));
      case "content" -> {
        if (heading.length() > 0) {
          parts.add(Json.object().put("type", "text").put("text", heading.toString().strip()));
        }
        JsonNode given = source.get("content");
        if (given != null && given.isTextual()) {
          parts.add(Json.object().put("type", "text").put("text", given.textValue()));
          return parts;
        }
        ArrayNode content = Members.array(given, path + ".source.content");
        for (int i = 0; i < content.size(); i++) {
          String partPath = path + ".source.content[" + i + "]";
          ObjectNode inner = Members.object(content.get(i), partPath);
          String innerType = Members.text(inner, "type", partPath + ".type");
          switch (innerType) {
            case "text" -> parts.add(Json.object().put("type", "text").put("text", Members.text(inner, "text", partPath + ".text")));
            case "image" -> parts.add(image(inner, partPath));
            default -> throw Members.invalid(partPath + ".type", "must be `text` or `image`");
          }
        }
      }
      default -> throw Members.invalid(path + ".source.type", "must be `base64` (a PDF), `text` or `content` for an OpenAI model");
    }
    return parts;
  }

  private static ObjectNode image(ObjectNode block, String path) {
    ObjectNode source = Members.object(block.get("source"), path + ".source");
    String type = Members.text(source, "type", path + ".source.type");
    String url =
        switch (type) {
          case "base64" -> "data:" + Members.text(source, "media_type", path + ".source.media_type") + ";base64," + Members.text(source, "data", path + ".source.data");
          case "url" -> Members.text(source, "url", path + ".source.url");
          default -> throw Members.invalid(path + ".source.type", "must be `base64` or `url` for an OpenAI model");
        };
    ObjectNode part = Json.object().put("type", "image_url");
    part.putObject("image_url").put("url", url);
    return part;
  }

  private static ObjectNode assistant(JsonNode content, String path) {
    ObjectNode message = Json.object().put("role", "assistant");
    if (content != null && content.isTextual()) {
      return message.put("content", content.textValue());
    }
    if (content == null || !content.isArray()) {
      throw Members.invalid(path, "must be a string or an array of content blocks");
    }
    StringBuilder text = new StringBuilder();
    ArrayNode calls = Json.array();
    for (int j = 0; j < content.size(); j++) {
      String blockPath = path + "[" + j + "]";
      ObjectNode block = Members.object(content.get(j), blockPath);
      String type = Members.text(block, "type", blockPath + ".type");
      switch (type) {
        case "text" -> text.append(Members.text(block, "text", blockPath + ".text"));
        case "tool_use" -> {
          ObjectNode call = calls.addObject();
          call.put("id", Members.text(block, "id", blockPath + ".id"));
          call.put("type", "function");
          ObjectNode function = call.putObject("function");
          function.put("name", Members.text(block, "name", blockPath + ".name"));
          function.put("arguments", Json.write(Members.object(block.get("input"), blockPath + ".input")));
        }
        case "thinking", "redacted_thinking" -> {} // OpenAI has no place for the model's earlier thinking
        default -> throw Members.invalid(blockPath + ".type", "`" + type + "` cannot be sent to an OpenAI model (only text, tool_use and thinking)");
      }
    }
    if (calls.isEmpty()) {
      message.put("content", text.toString());
    } else {
      if (text.length() > 0) {
        message.put("content", text.toString());
      } else {
        message.putNull("content");
      }
      message.set("tool_calls", calls);
    }
    return message;
  }

  private static void tools(ObjectNode body, ObjectNode out) {
    ArrayNode tools = Members.optionalArray(body, "tools", "tools");
    if (tools == null || tools.isEmpty()) {
      return;
    }
    ArrayNode translated = out.putArray("tools");
    for (int i = 0; i < tools.size(); i++) {
      String path = "tools[" + i + "]";
      ObjectNode tool = Members.object(tools.get(i), path);
      String type = Members.optionalText(tool, "type", path + ".type");
      if (type != null && !type.equals("custom")) {
        throw Members.invalid(path + ".type", "`" + type + "` is an Anthropic server tool, which an OpenAI model cannot run");
      }
      ObjectNode function = translated.addObject().put("type", "function").putObject("function");
      function.put("name", Members.text(tool, "name", path + ".name"));
      String description = Members.optionalText(tool, "description", path + ".description");
      if (description != null) {
        function.put("description", description);
      }
      function.set("parameters", Members.object(tool.get("input_schema"), path + ".input_schema").deepCopy());
    }
    if (!Members.present(body, "tool_choice")) {
      return;
    }
    ObjectNode choice = Members.object(body.get("tool_choice"), "tool_choice");
    String type = Members.text(choice, "type", "tool_choice.type");
    switch (type) {
      case "auto" -> out.put("tool_choice", "auto");
      case "any" -> out.put("tool_choice", "required");
      case "none" -> out.put("tool_choice", "none");
      case "tool" -> {
        ObjectNode named = Json.object().put("type", "function");
        named.putObject("function").put("name", Members.text(choice, "name", "tool_choice.name"));
        out.set("tool_choice", named);
      }
      default -> throw Members.invalid("tool_choice.type", "must be `auto`, `any`, `tool` or `none`");
    }
    if (Boolean.TRUE.equals(Members.optionalBoolean(choice, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use"))) {
      out.put("parallel_tool_calls", false);
    }
  }

  /** The system messages held back, added now (and forgotten). */
  private static void addSystem(List<String> held, ArrayNode messages) {
    for (String text : held) {
      messages.addObject().put("role", "system").put("content", text);
    }
    held.clear();
  }

  /** Whether the last message is an assistant's with tool calls, whose results must come next. */
  private static boolean awaitingToolResults(ArrayNode messages) {
    JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
    return last != null && "assistant".equals(last.path("role").asText()) && last.path("tool_calls").isArray();
  }

  /** Text blocks (of {@code system} or a tool result) as one string, a blank line between blocks. */
  private static String joinedText(JsonNode blocks, String path) {
    if (!blocks.isArray()) {
      throw Members.invalid(path, "must be a string or an array of text blocks");
    }
    StringBuilder text = new StringBuilder();
    for (int j = 0; j < blocks.size(); j++) {
      String blockPath = path + "[" + j + "]";
      ObjectNode block = Members.object(blocks.get(j), blockPath);
      if (!"text".equals(Json.text(block, "type"))) {
        throw Members.invalid(blockPath + ".type", "must be `text` for an OpenAI model");
      }
      if (text.length() > 0) {
        text.append("\n\n");
      }
      text.append(Members.text(block, "text", blockPath + ".text"));
    }
    return text.toString();
  }
}
