package dev.gatehouse.activities.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.text.UpstreamJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps a provider's secret values (the key Gatehouse sent it) out of a streamed answer, in the
 * caller's dialect, a value the provider split across events included. Each event's data has
 * every whole value replaced by {@code [redacted]}; besides, each text of the answer (an OpenAI
 * choice's {@code content}, {@code refusal} and reasoning, a tool call's {@code arguments}; an
 * Anthropic block's text, thinking or input JSON) holds back a tail that is the beginning of a
 * secret value until the next piece of that text shows whether the value follows (it is then
 * redacted whole) or not (the tail goes out with that piece). A held tail goes out before its text
 * ends: in the OpenAI chunk that carries the choice's {@code finish_reason}, or a chunk of its own
 * before {@code [DONE]} or an error; in an Anthropic delta of its own before the block's {@code
 * content_block_stop}, {@code message_delta}, {@code message_stop} or {@code error}. The client
 * reads the same text, only cut in other places. An OpenAI tool call's name is not held back (a
 * client reads it whole from the call's first chunk); a piece of one is scrubbed of a value's runs
 * as an error message is ({@link #callName}).
 *
 * <p>An event is parsed only when a text may hold something: while a tail is held, or when the
 * event has a JSON string that ends with the beginning of a value (or a JSON escape the raw check
 * cannot see through). Other events go out as they came, but for whole values. One per stream,
 * used by the request's thread.
 */
final class StreamSecrets {
  private static final ObjectMapper JSON = UpstreamJson.bounded(new ObjectMapper());
  /** An OpenAI choice's texts besides tool calls' arguments. */
  private static final List<String> OPENAI_TEXTS = List.of("content", "refusal", "reasoning_content", "reasoning");
  /** What an OpenAI text's key ends with when it is a tool call's arguments (after the call's index). */
  private static final String TOOL = "tool:";
  /** A chunk that has it may name a tool call, a name read as in {@link #callName}. */
  private static final String NAME_MEMBER = "\"name\"";

  private final Dialect dialect;
  private final UpstreamCredentials.Resolved secrets;
  private final List<String> values = new ArrayList<>();
  /** Whether every value is made of characters a JSON writer writes as they are (or as a \\u escape). */
  private final boolean plain;
  /** The held tails, by text: OpenAI "choice/member" or "choice/tool:index"; Anthropic the block's index. */
  private final Map<String, Held> held = new LinkedHashMap<>();
  /** OpenAI: the last chunk parsed, whose id, model and times frame a tail sent in a chunk of its own. */
  private ObjectNode lastChunk;

  /** A held tail, and (Anthropic) the type of delta it goes out in. */
  private record Held(String tail, String deltaType) {}

  StreamSecrets(Dialect dialect, UpstreamCredentials.Resolved secrets) {
    this.dialect = dialect;
    this.secrets = secrets;
    boolean allPlain = true;
    for (String v : secrets.secretValues()) {
      if (v.length() >= 4) {
        values.add(v);
        allPlain &= plain(v);
      }
    }
    this.plain = allPlain;
  }

  /** Whether there is any value to keep out (values under 4 characters are not looked for). */
  boolean redacts() {
    return !values.isEmpty();
  }

  /** Sends {@code data} (of an event named {@code name}) on to {@code out}: none, one or more events. */
  void event(String name, String data, StreamSink out) throws IOException {
    if (held.isEmpty() && !mayEndInValue(data) && !(dialect == Dialect.OPENAI && data.contains(NAME_MEMBER))) {
      out.event(name, secrets.redact(data));
    } else if (dialect == Dialect.OPENAI) {
      openAi(name, data, out);
    } else {
      anthropic(name, data, out);
    }
  }

  // ---- OpenAI: data-only chunks, then [DONE]

  private void openAi(String name, String data, StreamSink out) throws IOException {
    JsonNode node = "[DONE]".equals(data) ? null : parse(data);
    if (!(node instanceof ObjectNode chunk) || chunk.hasNonNull("error")) {
      sendAllHeldOpenAi(out);
      out.event(name, secrets.redact(data));
      return;
    }
    JsonNode choices = chunk.get("choices");
    if (!(choices instanceof ArrayNode list) || list.isEmpty()) {
      out.event(name, secrets.redact(data));
      return;
    }
    lastChunk = chunk;
    boolean changed = false;
    int position = 0;
    for (Iterator<JsonNode> it = list.elements(); it.hasNext(); position++) {
      if (!(it.next() instanceof ObjectNode choice)) {
        continue;
      }
      String prefix = choice.path("index").asInt(position) + "/";
      boolean ends = choice.hasNonNull("finish_reason");
      ObjectNode delta = choice.get("delta") instanceof ObjectNode d ? d : null;
      Set<String> seen = new HashSet<>();
      if (delta != null) {
        for (String member : OPENAI_TEXTS) {
          String text = textOf(delta, member);
          if (text != null) {
            String key = prefix + member;
            seen.add(key);
            delta.put(member, next(key, text, ends, null));
            changed = true;
          }
        }
        if (delta.get("tool_calls") instanceof ArrayNode calls) {
          int at = 0;
          for (JsonNode c : calls) {
            if (c instanceof ObjectNode call && call.get("function") instanceof ObjectNode function && textOf(function, "name") != null) {
              String clean = callName(textOf(function, "name"));
              if (!clean.equals(textOf(function, "name"))) {
                function.put("name", clean);
                changed = true;
              }
            }
            if (c instanceof ObjectNode call && call.get("function") instanceof ObjectNode function
                && textOf(function, "arguments") != null) {
              String key = prefix + TOOL + call.path("index").asInt(at);
              seen.add(key);
              function.put("arguments", next(key, textOf(function, "arguments"), ends, null));
              changed = true;
            }
            at++;
          }
        }
      }
      if (ends) {
        for (String key : List.copyOf(held.keySet())) {
          if (key.startsWith(prefix) && !seen.contains(key)) {
            if (delta == null) {
              delta = choice.putObject("delta");
            }
            put(delta, key.substring(prefix.length()), held.remove(key).tail());
            changed = true;
          }
        }
      }
    }
    out.event(name, secrets.redact(changed ? write(chunk) : data));
  }

  /** Puts {@code text} into an OpenAI delta as the member (or tool call's arguments) {@code member} names. */
  private static void put(ObjectNode delta, String member, String text) {
    if (!member.startsWith(TOOL)) {
      delta.put(member, delta.path(member).asText("") + text);
      return;
    }
    ArrayNode calls = delta.get("tool_calls") instanceof ArrayNode a ? a : delta.putArray("tool_calls");
    calls.addObject().put("index", Integer.parseInt(member.substring(TOOL.length()))).putObject("function").put("arguments", text);
  }

  /** Sends every held tail, each in a chunk of its own (the stream ends without finishing its texts). */
  private void sendAllHeldOpenAi(StreamSink out) throws IOException {
    for (Map.Entry<String, Held> e : held.entrySet()) {
      ObjectNode chunk = JSON.createObjectNode();
      if (lastChunk != null) {
        lastChunk.properties().forEach(p -> {
          if (!p.getKey().equals("choices") && !p.getKey().equals("usage")) {
            chunk.set(p.getKey(), p.getValue());
          }
        });
      }
      String key = e.getKey();
      int slash = key.indexOf('/');
      ObjectNode choice = chunk.putArray("choices").addObject().put("index", Integer.parseInt(key.substring(0, slash)));
      put(choice.putObject("delta"), key.substring(slash + 1), e.getValue().tail());
      choice.putNull("finish_reason");
      out.event(null, secrets.redact(write(chunk)));
    }
    held.clear();
  }

  // ---- Anthropic: named events; text, thinking and tool input in content_block_delta

  private void anthropic(String name, String data, StreamSink out) throws IOException {
    if (name == null) {
      out.event(null, secrets.redact(data));
      return;
    }
    switch (name) {
      case "content_block_start" -> {
        JsonNode node = parse(data);
        if (node != null && node.get("content_block") instanceof ObjectNode block && "text".equals(block.path("type").asText())
            && textOf(block, "text") != null) {
          block.put("text", next(node.path("index").asText(), textOf(block, "text"), false, "text_delta"));
          out.event(name, secrets.redact(write(node)));
        } else {
          out.event(name, secrets.redact(data));
        }
      }
      case "content_block_delta" -> {
        JsonNode node = parse(data);
        JsonNode d = node == null ? null : node.get("delta");
        String type = d == null ? "" : d.path("type").asText();
        String member = switch (type) {
          case "text_delta" -> "text";
          case "thinking_delta" -> "thinking";
          case "input_json_delta" -> "partial_json";
          default -> null;
        };
        if (member != null && d instanceof ObjectNode delta && textOf(delta, member) != null) {
          String sent = next(node.path("index").asText(), textOf(delta, member), false, type);
          if (!sent.isEmpty()) {
            delta.put(member, sent);
            out.event(name, secrets.redact(write(node)));
          }
        } else {
          out.event(name, secrets.redact(data));
        }
      }
      case "content_block_stop" -> {
        JsonNode node = parse(data);
        String index = node == null ? "" : node.path("index").asText();
        Held h = held.remove(index);
        if (h != null) {
          out.event("content_block_delta", anthropicDelta(index, h));
        }
        out.event(name, secrets.redact(data));
      }
      case "message_delta", "message_stop", "error" -> {
        for (Map.Entry<String, Held> e : held.entrySet()) {
          out.event("content_block_delta", anthropicDelta(e.getKey(), e.getValue()));
        }
        held.clear();
        out.event(name, secrets.redact(data));
      }
      default -> out.event(name, secrets.redact(data));
    }
  }

  private String anthropicDelta(String index, Held h) throws IOException {
    ObjectNode event = JSON.createObjectNode().put("type", "content_block_delta");
    try {
      event.put("index", Integer.parseInt(index));
    } catch (NumberFormatException e) {
      event.put("index", index);
    }
    String member = switch (h.deltaType()) {
      case "thinking_delta" -> "thinking";
      case "input_json_delta" -> "partial_json";
      default -> "text";
    };
    event.putObject("delta").put("type", h.deltaType()).put(member, h.tail());
    return secrets.redact(write(event));
  }

  /**
   * A tool call's name, or a piece of one: with whole values redacted, and every run of a value's
   * characters long enough to be one's ({@link UpstreamCredentials.Resolved#redactMessage}), since
   * a provider may cut a name across chunks (OpenAI clients join the pieces, or keep the last), and
   * a name, unlike a text, is not held back: clients read the name whole from the call's first chunk.
   */
  private String callName(String name) {
    return secrets.redactMessage(name);
  }

  // ---- one text

  /**
   * The piece of the text under {@code key} that goes out now: what it held, then {@code piece},
   * with whole values redacted, less (unless the text {@code ends}) a tail that begins a value,
   * which it holds instead.
   */
  private String next(String key, String piece, boolean ends, String deltaType) {
    Held before = held.remove(key);
    String text = secrets.redact(before == null ? piece : before.tail() + piece);
    if (ends) {
      return text;
    }
    int keep = beginningOfAValue(text);
    if (keep == 0) {
      return text;
    }
    held.put(key, new Held(text.substring(text.length() - keep), deltaType != null ? deltaType : before == null ? null : before.deltaType()));
    return text.substring(0, text.length() - keep);
  }

  /** The length of the longest end of {@code text} that is the beginning (not the whole) of a value; 0 if none. */
  int beginningOfAValue(String text) {
    int best = 0;
    for (String v : values) {
      for (int k = Math.min(v.length() - 1, text.length()); k > best; k--) {
        if (text.regionMatches(text.length() - k, v, 0, k)) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  /**
   * Whether a JSON string in {@code data} may end with the beginning of a value: its characters,
   * from the value's first, match the value's up to a closing quote (of a string that is not a
   * member's name). Data with an escape the check
   * cannot read through (any {@code \\u}, or any escape when a value has a character JSON escapes)
   * is taken to.
   */
  boolean mayEndInValue(String data) {
    int backslash = data.indexOf('\\');
    if (backslash >= 0 && (!plain || data.indexOf("\\u", backslash) >= 0)) {
      return true;
    }
    for (String v : values) {
      char first = v.charAt(0);
      for (int p = data.indexOf(first); p >= 0; p = data.indexOf(first, p + 1)) {
        int k = 1;
        while (k < v.length() && p + k < data.length() && data.charAt(p + k) == v.charAt(k)) {
          k++;
        }
        if (k < v.length() && p + k < data.length() && data.charAt(p + k) == '"' && !memberName(data, p + k + 1)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the string that closed just before {@code at} is a member's name (a colon follows it). */
  private static boolean memberName(String data, int at) {
    int i = at;
    while (i < data.length() && Character.isWhitespace(data.charAt(i))) {
      i++;
    }
    return i < data.length() && data.charAt(i) == ':';
  }

  /** Characters a JSON writer writes as they are: printable ASCII but the quote, backslash and slash. */
  private static boolean plain(String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '/') {
        return false;
      }
    }
    return true;
  }

  /** The string {@code object} has under {@code member}, or null. */
  private static String textOf(ObjectNode object, String member) {
    JsonNode v = object.get(member);
    return v != null && v.isTextual() ? v.textValue() : null;
  }

  private static JsonNode parse(String data) {
    try {
      return JSON.readTree(data);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static String write(JsonNode node) throws IOException {
    return JSON.writeValueAsString(node);
  }
}
