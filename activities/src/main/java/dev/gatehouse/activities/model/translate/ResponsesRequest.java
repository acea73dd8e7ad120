package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.gatehouse.activities.model.ModelCallException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request of OpenAI's Responses API ({@code POST /v1/responses}) as the chat-completions request
 * Gatehouse governs and routes: {@code instructions} becomes the first (system) message; {@code
 * input}, a string or a list of items, becomes the messages (a {@code message} item by its role, a
 * {@code developer} one as a system message; {@code function_call} items become the assistant's
 * {@code tool_calls}, joined to the assistant message before them; {@code function_call_output}
 * items become tool messages, and images or files among an output follow the tool messages in a
 * user message, as a tool message holds text only); function tools (those a {@code namespace} tool
 * groups too), {@code tool_choice}, {@code text.format}, {@code reasoning.effort} and {@code
 * max_output_tokens} become their chat counterparts.
 *
 * <p>Gatehouse stores no response, so what needs one is refused ({@code invalid_request} naming the
 * member): {@code previous_response_id}, {@code conversation}, {@code background}, stored prompts,
 * {@code item_reference} items and files by id; a conversation is sent whole, as clients that set
 * {@code store: false} do. Tools OpenAI runs itself (web search, file search, code interpreter,
 * computer use, remote MCP, ...) and custom tools have no chat counterpart: they are left out, and
 * named ({@link Translated#droppedTools}), so that they never act outside the gateway and a client
 * that offers them by default (Codex offers web search) still works; forcing one with {@code
 * tool_choice} is refused. {@code reasoning} items, the model's own reasoning from earlier turns,
 * have no chat counterpart and are dropped. A top-level member this translation does not know is
 * left out and named ({@link Translated#ignoredMembers}): clients add members faster than any list
 * of them grows, and none it could mean changes what is asked of the model but those refused above.
 */
public final class ResponsesRequest {
  /** Members passed to the chat request as they are (in this order), with the JSON type each must have. */
  private static final Map<String, JsonNodeType> PASSED =
      ordered(
          "temperature", JsonNodeType.NUMBER,
          "top_p", JsonNodeType.NUMBER,
          "parallel_tool_calls", JsonNodeType.BOOLEAN,
          "user", JsonNodeType.STRING,
          "safety_identifier", JsonNodeType.STRING,
          "prompt_cache_key", JsonNodeType.STRING,
          "service_tier", JsonNodeType.STRING);

  /**
   * Members that change nothing for a call without stored state, with the JSON type each must
   * have: what to keep ({@code store}, {@code include}, {@code prompt_cache_retention}), how to
   * stream ({@code stream_options}), labels ({@code metadata}, echoed in the answer; Codex's {@code
   * client_metadata}), what to do when the context overflows ({@code truncation}: the provider's
   * refusal is passed on either way) and a cap on calls of tools OpenAI runs (none is sent).
   */
  private static final Map<String, JsonNodeType> IGNORED =
      Map.of(
          "store", JsonNodeType.BOOLEAN,
          "include", JsonNodeType.ARRAY,
          "stream_options", JsonNodeType.OBJECT,
          "metadata", JsonNodeType.OBJECT,
          "client_metadata", JsonNodeType.OBJECT,
          "truncation", JsonNodeType.STRING,
          "max_tool_calls", JsonNodeType.NUMBER,
          "prompt_cache_retention", JsonNodeType.STRING);

  /** Members that need a response or prompt stored at OpenAI. */
  private static final Map<String, String> STORED =
      Map.of(
          "previous_response_id", "Gatehouse stores no responses: send the whole conversation as `input` (as `store: false` clients do)",
          "conversation", "Gatehouse stores no conversations: send the whole conversation as `input`",
          "prompt", "stored prompts are not served: send the prompt's text as `instructions`",
          "background", "background responses are not served: stream the response instead");

  private static final Set<String> HANDLED =
      Set.of("model", "input", "instructions", "tools", "tool_choice", "text", "reasoning", "max_output_tokens", "stream", "top_logprobs");

  /** The most names {@link Translated#ignoredMembers} and {@link Translated#droppedTools} hold. */
  static final int MAX_NAMED = 16;

  /**
   * A translated request: the Responses API request as it came, the chat request made of it, the
   * top-level members left out as unknown and the tools left out (their type, and for a custom tool
   * its name: {@code web_search}, {@code custom:apply_patch}), each at most {@value #MAX_NAMED} and
   * made safe to put in a header; and the function tools a namespace groups, by the name the chat
   * request gives them.
   */
  public record Translated(
      ObjectNode request,
      ObjectNode chat,
      List<String> ignoredMembers,
      List<String> droppedTools,
      Map<String, Namespaced> namespaced,
      Map<Integer, String> messageSources,
      Map<String, String> callSources,
      Set<Integer> partsAsSent) {

    public Translated(
        ObjectNode request, ObjectNode chat, List<String> ignoredMembers, List<String> droppedTools, Map<String, Namespaced> namespaced) {
      this(request, chat, ignoredMembers, droppedTools, namespaced, Map.of(), Map.of(), Set.of());
    }

    /**
     * A refusal of the chat request (its translation for a provider, a policy) as the caller of
     * the Responses API can read it: its {@code param}, and the member its message starts with,
     * named as the caller sent it ({@code text.format} for {@code response_format}, the input item
     * a message or tool call came from), not as Gatehouse's chat request has it.
     */
    public ModelCallException asAsked(ModelCallException e) {
      String param = e.param();
      String asked = askedPath(param);
      if (param == null || asked.equals(param)) {
        return e;
      }
      String said = "`" + param + "`";
      String message = e.getMessage() != null && e.getMessage().startsWith(said) ? "`" + asked + "`" + e.getMessage().substring(said.length()) : e.getMessage();
      return new ModelCallException(e.code(), e.status(), message, asked, e.retryAfter(), e.retryable(), e.rateLimits());
    }

    /** The member of the caller's request that chat path {@code chatPath} came from. */
    String askedPath(String chatPath) {
      if (chatPath == null) {
        return null;
      }
      Matcher m = CHAT_MESSAGE_PATH.matcher(chatPath);
      if (m.lookingAt()) {
        String rest = chatPath.substring(m.end());
        String call = m.group(3) == null ? null : callSources.get(m.group(1) + "/" + m.group(3));
        if (call != null) {
          return rest.startsWith(".function.arguments") ? call + ".arguments" : rest.startsWith(".function.name") ? call + ".name" : call;
        }
        String item = messageSources.get(Integer.valueOf(m.group(1)));
        if (item == null) {
          return "input";
        }
        // A message item's parts are the chat message's, one for one, in order.
        return m.group(2) != null && partsAsSent.contains(Integer.valueOf(m.group(1))) ? item + m.group(2) : item;
      }
      int end = chatPath.length();
      for (int i = 0; i < chatPath.length(); i++) {
        if (chatPath.charAt(i) == '.' || chatPath.charAt(i) == '[') {
          end = i;
          break;
        }
      }
      return switch (chatPath.substring(0, end)) {
        case "response_format" -> "text.format";
        case "max_tokens", "max_completion_tokens" -> "max_output_tokens";
        case "reasoning_effort" -> "reasoning.effort";
        case "verbosity" -> "text.verbosity";
        case "tools" -> "tools"; // some of the caller's tools are not chat tools: the indexes differ
        case "messages" -> "input";
        default -> chatPath;
      };
    }
  }

  /** A chat message's path, and a part's or tool call's in it: {@code messages[K]}, {@code messages[K].content[C]}, {@code messages[K].tool_calls[T]}. */
  private static final Pattern CHAT_MESSAGE_PATH =
      Pattern.compile("messages\\[(\\d{1,9})\\](?:(\\.content\\[\\d{1,9}\\])|\\.tool_calls\\[(\\d{1,9})\\])?");

  /** A function of a {@code namespace} tool: the namespace's name and the function's. */
  public record Namespaced(String namespace, String name) {}

  private final ObjectNode request;
  private final List<String> ignored = new ArrayList<>();
  private final List<String> dropped = new ArrayList<>();
  /** The chat name of each function tool a namespace groups, and the other way round. */
  private final Map<String, Namespaced> namespaced = new HashMap<>();
  private final Map<Namespaced, String> chatNames = new HashMap<>();
  /** The chat names of the function tools offered. */
  private final Set<String> offered = new HashSet<>();
  /** The call ids of the function calls read so far. */
  private final Set<String> calls = new HashSet<>();
  /** The member of the request each chat message came from, by the message's index. */
  private final Map<Integer, String> messageSources = new HashMap<>();
  /** The input item each tool call came from, by {@code message/call} indexes. */
  private final Map<String, String> callSources = new HashMap<>();
  /** The chat messages made from one message item each, whose parts are the item's, one for one. */
  private final Set<Integer> partsAsSent = new HashSet<>();

  private ResponsesRequest(ObjectNode request) {
    this.request = request;
  }

  /**
   * The chat-completions request for {@code request}, a new node ({@code request} is not changed),
   * and what was left out; {@code invalid_request} naming the member for what cannot be translated.
   */
  public static Translated translate(ObjectNode request) {
    return new ResponsesRequest(request).translate();
  }

  private Translated translate() {
    for (Iterator<Map.Entry<String, JsonNode>> it = request.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> member = it.next();
      String name = member.getKey();
      JsonNode value = member.getValue();
      if (STORED.containsKey(name)) {
        if (!value.isNull() && !(value.isBoolean() && !value.booleanValue())) {
          throw Members.invalid(name, "is not supported: " + STORED.get(name));
        }
      } else if (PASSED.containsKey(name) || IGNORED.containsKey(name)) {
        JsonNodeType type = PASSED.containsKey(name) ? PASSED.get(name) : IGNORED.get(name);
        if (!value.isNull() && value.getNodeType() != type) {
          throw Members.invalid(name, "must be " + article(type));
        }
      } else if (!HANDLED.contains(name)) {
        name(ignored, name);
      }
    }
    ObjectNode out = Json.object();
    out.set("model", request.get("model"));
    // The tools first: the calls in the input are named as the tools are.
    ArrayNode chatTools = tools();
    ArrayNode messages = out.putArray("messages");
    String instructions = Members.optionalText(request, "instructions", "instructions");
    if (instructions != null && !instructions.isEmpty()) {
      messageSources.put(messages.size(), "instructions");
      messages.addObject().put("role", "system").put("content", instructions);
    }
    JsonNode input = request.get("input");
    if (input == null || input.isNull()) {
      throw Members.invalid("input", "is required: a string or an array of input items");
    }
    if (input.isTextual()) {
      messageSources.put(messages.size(), "input");
      messages.addObject().put("role", "user").put("content", input.textValue());
    } else {
      items(Members.array(input, "input"), messages);
    }
    if (messages.isEmpty()) {
      throw Members.invalid("input", "must hold at least one message");
    }
    for (String name : PASSED.keySet()) {
      if (Members.present(request, name)) {
        out.set(name, request.get(name));
      }
    }
    Long max = Members.optionalPositive(request, "max_output_tokens", "max_output_tokens");
    if (max != null) {
      out.put(ToOpenAiRequest.MAX_TOKENS_MEMBER, max);
    }
    JsonNode logprobs = Members.optionalNumber(request, "top_logprobs", "top_logprobs");
    if (logprobs != null && !(logprobs.canConvertToInt() && logprobs.intValue() == 0)) {
      throw Members.invalid("top_logprobs", "is not supported: Gatehouse answers without log probabilities");
    }
    toolChoice(chatTools, out);
    text(request, out);
    reasoning(request, out);
    if (Boolean.TRUE.equals(Members.optionalBoolean(request, "stream", "stream"))) {
      out.put("stream", true);
      out.putObject("stream_options").put("include_usage", true);
    }
    return new Translated(
        request, out, List.copyOf(ignored), List.copyOf(dropped), Map.copyOf(namespaced), Map.copyOf(messageSources), Map.copyOf(callSources),
        Set.copyOf(partsAsSent));
  }

  private static Map<String, JsonNodeType> ordered(Object... namesAndTypes) {
    Map<String, JsonNodeType> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < namesAndTypes.length; i += 2) {
      out.put((String) namesAndTypes[i], (JsonNodeType) namesAndTypes[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  private static String article(JsonNodeType type) {
    return switch (type) {
      case NUMBER -> "a number";
      case BOOLEAN -> "true or false";
      case STRING -> "a string";
      case ARRAY -> "an array";
      default -> "an object";
    };
  }

  /** Adds {@code name} to a list of names for a header ({@link #safe}), up to {@value #MAX_NAMED} names. */
  private static void name(List<String> names, String name) {
    if (names.size() < MAX_NAMED) {
      names.add(safe(name));
    }
  }

  /** A name the client sent, as it may be said back in a header or a message: at most 64 of its characters, each a letter, digit or {@code _.:-}, others {@code ?}. */
  private static String safe(String name) {
    String shown = name.length() > 64 ? name.substring(0, 64) : name;
    return shown.replaceAll("[^A-Za-z0-9_.:-]", "?");
  }

  /** The input items as chat messages. */
  private void items(ArrayNode input, ArrayNode messages) {
    // Images and files among the function outputs just read: they follow the tool messages.
    ArrayNode heldParts = null;
    String heldFrom = null;
    for (int i = 0; i < input.size(); i++) {
      String path = "input[" + i + "]";
      ObjectNode item = Members.object(input.get(i), path);
      String type = Members.optionalText(item, "type", path + ".type");
      if (type == null) {
        if (!Members.present(item, "role")) {
          throw Members.invalid(path + ".type", "is required (an item without a `role` is not a message)");
        }
        type = "message";
      }
      if (!type.equals("function_call_output") && heldParts != null) {
        messageSources.put(messages.size(), heldFrom);
        messages.addObject().put("role", "user").set("content", heldParts);
        heldParts = null;
      }
      int before = messages.size();
      switch (type) {
        case "message" -> {
          if (message(message(item, path), messages)) {
            partsAsSent.add(messages.size() - 1);
          }
        }
        case "function_call" -> functionCall(item, path, messages);
        case "function_call_output" -> {
          heldParts = functionOutput(item, path, messages, heldParts);
          if (heldParts != null && heldFrom == null) {
            heldFrom = path;
          }
        }
        case "reasoning" -> {} // the model's own reasoning of an earlier turn: no chat counterpart
        case "item_reference" -> throw Members.invalid(path + ".type", "`item_reference` is not supported: Gatehouse stores no items; send the item itself");
        default -> throw Members.invalid(path + ".type", "`" + safe(type) + "` is not supported: Gatehouse serves messages, function calls and their outputs");
      }
      for (int k = before; k < messages.size(); k++) {
        messageSources.put(k, path);
      }
      if (heldParts == null) {
        heldFrom = null;
      }
    }
    if (heldParts != null) {
      messageSources.put(messages.size(), heldFrom);
      messages.addObject().put("role", "user").set("content", heldParts);
    }
  }

  /**
   * Adds a message; an assistant's text that came after its own calls (before their outputs) joins
   * the message that holds the calls, as chat wants the tool messages right after it. True when
   * the message was added as it is.
   */
  private static boolean message(ObjectNode message, ArrayNode messages) {
    JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
    if (!"assistant".equals(Json.text(message, "role")) || last == null || !"assistant".equals(Json.text(last, "role")) || !last.has("tool_calls")) {
      messages.add(message);
      return true;
    }
    ObjectNode calls = (ObjectNode) last;
    ArrayNode parts = Json.array();
    for (JsonNode content : new JsonNode[] {calls.get("content"), message.get("content")}) {
      if (content != null && content.isTextual()) {
        parts.addObject().put("type", "text").put("text", content.textValue());
      } else if (content != null && content.isArray()) {
        parts.addAll((ArrayNode) content);
      }
    }
    calls.set("content", parts);
    return false;
  }

  private static ObjectNode message(ObjectNode item, String path) {
    String role = Members.text(item, "role", path + ".role");
    String chatRole =
        switch (role) {
          case "user", "assistant", "system" -> role;
          case "developer" -> "system"; // what every chat API takes; OpenAI's reasoning models read it as developer
          default -> throw Members.invalid(path + ".role", "must be `user`, `assistant`, `system` or `developer`");
        };
    ObjectNode out = Json.object().put("role", chatRole);
    JsonNode content = item.get("content");
    String contentPath = path + ".content";
    if (content != null && content.isTextual()) {
      out.put("content", content.textValue());
      return out;
    }
    ArrayNode parts = Members.array(content, contentPath);
    if (parts.isEmpty()) {
      throw Members.invalid(contentPath, "must be a string or hold at least one part");
    }
    ArrayNode chatParts = out.putArray("content");
    for (int i = 0; i < parts.size(); i++) {
      String partPath = contentPath + "[" + i + "]";
      ObjectNode part = Members.object(parts.get(i), partPath);
      String type = Members.text(part, "type", partPath + ".type");
      boolean assistant = chatRole.equals("assistant");
      switch (type) {
        case "input_text", "output_text" -> {
          if (assistant != type.equals("output_text")) {
            throw Members.invalid(partPath + ".type", assistant ? "must be `output_text` or `refusal` in an assistant message" : "must be `input_text` here");
          }
          chatParts.addObject().put("type", "text").put("text", Members.text(part, "text", partPath + ".text"));
        }
        case "refusal" -> {
          if (!assistant) {
            throw Members.invalid(partPath + ".type", "`refusal` is a part of an assistant message");
          }
          chatParts.addObject().put("type", "refusal").put("refusal", Members.text(part, "refusal", partPath + ".refusal"));
        }
        case "input_image", "input_file" -> {
          if (!chatRole.equals("user")) {
            throw Members.invalid(partPath + ".type", "`" + type + "` is a part of a user message");
          }
          chatParts.add(media(part, type, partPath));
        }
        default -> throw Members.invalid(partPath + ".type", "`" + safe(type) + "` is not a content part Gatehouse serves");
      }
    }
    return out;
  }

  /** An image or file part as chat's, by URL or inline data; by file id it would need OpenAI's Files API. */
  private static ObjectNode media(ObjectNode part, String type, String path) {
    if (Members.present(part, "file_id")) {
      throw Members.invalid(path + ".file_id", "is not supported: Gatehouse serves no Files API; send the " + (type.equals("input_image") ? "image's URL" : "file's data"));
    }
    if (type.equals("input_image")) {
      ObjectNode image = Json.object().put("url", Members.text(part, "image_url", path + ".image_url"));
      putIfPresent(image, "detail", Members.optionalText(part, "detail", path + ".detail"));
      return Json.typed("image_url", image);
    }
    if (Members.present(part, "file_url")) {
      throw Members.invalid(path + ".file_url", "is not supported: send the file's data as `file_data`");
    }
    ObjectNode file = Json.object().put("file_data", Members.text(part, "file_data", path + ".file_data"));
    putIfPresent(file, "filename", Members.optionalText(part, "filename", path + ".filename"));
    return Json.typed("file", file);
  }

  /** A call the model made: one of the tool calls of the assistant message before it, or of a new one. */
  private void functionCall(ObjectNode item, String path, ArrayNode messages) {
    String callId = Members.text(item, "call_id", path + ".call_id");
    calls.add(callId);
    String name = Members.text(item, "name", path + ".name");
    String namespace = Members.optionalText(item, "namespace", path + ".namespace");
    ObjectNode function = Json.object().put("name", namespace == null ? name : chatName(namespace, name));
    function.put("arguments", Members.text(item, "arguments", path + ".arguments"));
    ObjectNode call = Json.object().put("id", callId).put("type", "function");
    call.set("function", function);
    JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
    ObjectNode assistant;
    if (last != null && "assistant".equals(Json.text(last, "role"))) {
      assistant = (ObjectNode) last;
    } else {
      assistant = messages.addObject().put("role", "assistant");
      assistant.putNull("content");
    }
    ArrayNode toolCalls = assistant.get("tool_calls") instanceof ArrayNode given ? given : assistant.putArray("tool_calls");
    callSources.put((messages.size() - 1) + "/" + toolCalls.size(), path);
    toolCalls.add(call);
  }

  /** The chat name of a namespace's function: the one its tool was given, else both names joined. */
  private String chatName(String namespace, String name) {
    String given = chatNames.get(new Namespaced(namespace, name));
    return given != null ? given : namespace + NAMESPACE_JOIN + name;
  }

  /**
   * A call's output as a tool message; its images and files are added to {@code held}, the parts of
   * the user message that follows the tool messages (returned, null while there are none).
   */
  private ArrayNode functionOutput(ObjectNode item, String path, ArrayNode messages, ArrayNode held) {
    String callId = Members.text(item, "call_id", path + ".call_id");
    if (!calls.contains(callId)) {
      // Every chat API refuses a tool message no call asked for; said here, before anything is sent.
      throw Members.invalid(path + ".call_id", "names no `function_call` before it in `input` (Gatehouse stores no earlier response to find it in)");
    }
    ObjectNode tool = messages.addObject().put("role", "tool").put("tool_call_id", callId);
    JsonNode output = item.get("output");
    if (output != null && output.isTextual()) {
      tool.put("content", output.textValue());
      return held;
    }
    if (output == null || !output.isArray()) {
      throw Members.invalid(path + ".output", "must be a string or an array of parts");
    }
    ArrayNode parts = (ArrayNode) output;
    ArrayNode texts = tool.putArray("content");
    ArrayNode media = null;
    for (int i = 0; i < parts.size(); i++) {
      String partPath = path + ".output[" + i + "]";
      ObjectNode part = Members.object(parts.get(i), partPath);
      String type = Members.text(part, "type", partPath + ".type");
      switch (type) {
        case "input_text", "output_text" -> texts.addObject().put("type", "text").put("text", Members.text(part, "text", partPath + ".text"));
        case "input_image", "input_file" -> {
          if (media == null) {
            media = Json.array();
          }
          media.add(media(part, type, partPath));
        }
        default -> throw Members.invalid(partPath + ".type", "must be `input_text`, `input_image` or `input_file`");
      }
    }
    if (texts.isEmpty()) {
      tool.put("content", media == null ? "" : "(the output is in the next message)");
    }
    if (media != null) {
      ArrayNode into = held == null ? Json.array() : held;
      into.addObject().put("type", "text").put("text", "What the call " + callId + " returned:");
      into.addAll(media);
      return into;
    }
    return held;
  }

  /** What joins a namespace's name and its function's when the function's own name is taken. */
  static final String NAMESPACE_JOIN = "__";

  /**
   * Function tools as chat's, those a namespace groups by their own name (or, when another tool has
   * it, the namespace's and theirs joined); every other tool is left out and named. Null when there
   * are none.
   */
  private ArrayNode tools() {
    ArrayNode tools = Members.optionalArray(request, "tools", "tools");
    if (tools == null || tools.isEmpty()) {
      return null;
    }
    // A namespace's functions are named after the loop, so that a top-level function keeps its name.
    List<ObjectNode> grouped = new ArrayList<>();
    List<String> groupedPaths = new ArrayList<>();
    List<ObjectNode> chatTools = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < tools.size(); i++) {
      String path = "tools[" + i + "]";
      ObjectNode tool = Members.object(tools.get(i), path);
      String type = Members.text(tool, "type", path + ".type");
      switch (type) {
        case "function" -> {
          ObjectNode function = function(tool, path);
          if (!names.add(function.get("name").textValue())) {
            throw Members.invalid(path + ".name", "names a function another tool has");
          }
          chatTools.add(function);
        }
        case "namespace" -> {
          String namespace = Members.text(tool, "name", path + ".name");
          ArrayNode members = Members.array(tool.get("tools"), path + ".tools");
          for (int j = 0; j < members.size(); j++) {
            String memberPath = path + ".tools[" + j + "]";
            ObjectNode member = Members.object(members.get(j), memberPath);
            String memberType = Members.text(member, "type", memberPath + ".type");
            if (memberType.equals("function")) {
              ObjectNode function = function(member, memberPath);
              function.put(NAMESPACE_JOIN, namespace); // taken off when named, below
              grouped.add(function);
              groupedPaths.add(memberPath);
            } else {
              name(dropped, memberType + ":" + namespace + "." + Members.optionalText(member, "name", memberPath + ".name"));
            }
          }
        }
        case "custom" -> name(dropped, "custom:" + Members.optionalText(tool, "name", path + ".name"));
        default -> name(dropped, type);
      }
    }
    for (int i = 0; i < grouped.size(); i++) {
      ObjectNode function = grouped.get(i);
      String namespace = function.remove(NAMESPACE_JOIN).textValue();
      String name = function.get("name").textValue();
      String chatName = names.add(name) ? name : namespace + NAMESPACE_JOIN + name;
      if (!chatName.equals(name) && !names.add(chatName)) {
        throw Members.invalid(groupedPaths.get(i) + ".name", "names a function another tool has");
      }
      function.put("name", chatName);
      namespaced.put(chatName, new Namespaced(namespace, name));
      chatNames.put(new Namespaced(namespace, name), chatName);
      chatTools.add(function);
    }
    offered.addAll(names);
    ArrayNode out = Json.array();
    for (ObjectNode function : chatTools) {
      out.add(Json.typed("function", function));
    }
    return out;
  }

  /** A function tool as chat's {@code function}: its name, description, parameters and strictness; its other members change nothing here. */
  private static ObjectNode function(ObjectNode tool, String path) {
    ObjectNode function = Json.object().put("name", Members.text(tool, "name", path + ".name"));
    putIfPresent(function, "description", Members.optionalText(tool, "description", path + ".description"));
    if (Members.present(tool, "parameters")) {
      function.set("parameters", Members.object(tool.get("parameters"), path + ".parameters"));
    }
    Boolean strict = Members.optionalBoolean(tool, "strict", path + ".strict");
    if (strict != null) {
      function.put("strict", strict);
    }
    return function;
  }

  /**
   * {@code tool_choice} as chat's: {@code auto}, {@code none}, {@code required}, a function (by its
   * chat name), or {@code allowed_tools}: the chat request then offers only those tools, with its
   * mode as the choice. A tool that was left out cannot be chosen.
   */
  private void toolChoice(ArrayNode chatTools, ObjectNode out) {
    JsonNode choice = request.get("tool_choice");
    if (chatTools != null && !chatTools.isEmpty()) {
      out.set("tools", chatTools);
    }
    if (choice == null || choice.isNull()) {
      return;
    }
    if (choice.isTextual()) {
      if (!List.of("auto", "none", "required").contains(choice.textValue())) {
        throw Members.invalid("tool_choice", "must be `auto`, `none`, `required` or an object");
      }
      out.put("tool_choice", choice.textValue());
      return;
    }
    ObjectNode chosen = Members.object(choice, "tool_choice");
    String type = Members.text(chosen, "type", "tool_choice.type");
    switch (type) {
      case "function" -> {
        String name = chosenName(chosen, "tool_choice");
        out.set("tool_choice", Json.typed("function", Json.object().put("name", name)));
      }
      case "allowed_tools" -> {
        String mode = Members.text(chosen, "mode", "tool_choice.mode");
        if (!mode.equals("auto") && !mode.equals("required")) {
          throw Members.invalid("tool_choice.mode", "must be `auto` or `required`");
        }
        ArrayNode allowed = Members.array(chosen.get("tools"), "tool_choice.tools");
        if (allowed.isEmpty()) {
          throw Members.invalid("tool_choice.tools", "must name at least one function tool");
        }
        Set<String> kept = new HashSet<>();
        for (int i = 0; i < allowed.size(); i++) {
          String path = "tool_choice.tools[" + i + "]";
          ObjectNode tool = Members.object(allowed.get(i), path);
          if (!"function".equals(Members.text(tool, "type", path + ".type"))) {
            throw Members.invalid(path + ".type", "must be `function`: only function tools are offered to the model here");
          }
          kept.add(chosenName(tool, path));
        }
        ArrayNode allowedTools = Json.array();
        for (JsonNode tool : chatTools) { // not null: a name was found among them
          if (kept.contains(tool.path("function").path("name").textValue())) {
            allowedTools.add(tool);
          }
        }
        out.set("tools", allowedTools);
        out.put("tool_choice", mode);
      }
      default -> throw Members.invalid("tool_choice.type", "`" + safe(type) + "` is not supported: that tool is not offered to the model here; choose `auto`, `none`, `required`, a function or `allowed_tools`");
    }
  }

  /** The chat name of the function tool {@code chosen} names (by {@code name}, and {@code namespace} when given); it must be one of the tools. */
  private String chosenName(ObjectNode chosen, String path) {
    String name = Members.text(chosen, "name", path + ".name");
    String namespace = Members.optionalText(chosen, "namespace", path + ".namespace");
    String chatName = namespace == null ? name : chatName(namespace, name);
    if (!offered.contains(chatName)) {
      throw Members.invalid(path + ".name", "names no function tool of this request");
    }
    return chatName;
  }

  /** {@code text.format} as {@code response_format}; {@code text.verbosity} as {@code verbosity}; nothing else of {@code text} is read. */
  private static void text(ObjectNode request, ObjectNode out) {
    if (!Members.present(request, "text")) {
      return;
    }
    ObjectNode text = Members.object(request.get("text"), "text");
    putIfPresent(out, "verbosity", Members.optionalText(text, "verbosity", "text.verbosity"));
    if (!Members.present(text, "format")) {
      return;
    }
    ObjectNode format = Members.object(text.get("format"), "text.format");
    String type = Members.text(format, "type", "text.format.type");
    switch (type) {
      case "text" -> {}
      case "json_object" -> out.putObject("response_format").put("type", "json_object");
      case "json_schema" -> {
        ObjectNode schema = Json.object().put("name", Members.text(format, "name", "text.format.name"));
        schema.set("schema", Members.object(format.get("schema"), "text.format.schema"));
        putIfPresent(schema, "description", Members.optionalText(format, "description", "text.format.description"));
        Boolean strict = Members.optionalBoolean(format, "strict", "text.format.strict");
        if (strict != null) {
          schema.put("strict", strict);
        }
        out.set("response_format", Json.typed("json_schema", schema));
      }
      default -> throw Members.invalid("text.format.type", "must be `text`, `json_object` or `json_schema`");
    }
  }

  /** {@code reasoning.effort} as {@code reasoning_effort}; a summary, or anything else of {@code reasoning}, has no chat counterpart. */
  private static void reasoning(ObjectNode request, ObjectNode out) {
    if (!Members.present(request, "reasoning")) {
      return;
    }
    ObjectNode reasoning = Members.object(request.get("reasoning"), "reasoning");
    putIfPresent(out, "reasoning_effort", Members.optionalText(reasoning, "effort", "reasoning.effort"));
  }

  private static void putIfPresent(ObjectNode into, String name, String value) {
    if (value != null) {
      into.put(name, value);
    }
  }
}
