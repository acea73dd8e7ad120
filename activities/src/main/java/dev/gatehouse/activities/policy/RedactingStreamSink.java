package dev.gatehouse.activities.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.model.StreamStopped;
import dev.gatehouse.activities.text.UpstreamJson;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.policies.data.CompiledPolicy;
import dev.gatehouse.policies.pii.PiiFindings;
import dev.gatehouse.policies.pii.PiiPolicy;
import dev.gatehouse.policies.pii.StreamingRedactor;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A streamed answer's events, in the caller's dialect, with their text put through PII entries
 * before they go on to the client. Each text of the answer (an OpenAI choice's {@code content},
 * {@code refusal} or reasoning, an Anthropic text block) has its own {@link StreamingRedactor} per
 * entry, chained in name order, so a match split across deltas is found: a delta goes on with what may be
 * sent now, and what could still become a match (the redactor's {@code holdback()}, a word or a
 * number, never more than its bound) waits for the next delta. The held tail goes out before the
 * text ends: in an OpenAI chunk that carries the choice's {@code finish_reason} (or a chunk of its
 * own before {@code [DONE]} or an error), in an Anthropic {@code content_block_delta} before the
 * block's {@code content_block_stop}. An OpenAI text sent as parts rather than a string has each
 * of its texts redacted whole, and so is the quote of each citation an Anthropic stream sends
 * ({@code citations_delta}'s {@code cited_text}). A tool call's arguments are held until the call
 * is whole (an OpenAI choice's finish, an Anthropic block's stop; at most {@link
 * #MAX_HELD_ARGUMENTS} at once) and then go out in one delta, read as {@link CallArguments} reads
 * them: a fragment of JSON cannot be read for a value split across fragments, nor redacted and
 * stay JSON. Other events (thinking, usage) pass unchanged.
 *
 * <p>When an entry that blocks finds something, the text before the match goes out, then an error
 * event ({@code code} {@code pii_detected}, in the dialect's shape), and the sink throws {@link
 * StreamStopped}: the router abandons the upstream request, and {@link ModelAnswerPii} denies the
 * call after it with {@link #denial()}. One per stream, used by the request's thread.
 */
final class RedactingStreamSink implements StreamSink {
  private static final ObjectMapper JSON = UpstreamJson.bounded(new ObjectMapper());
  /** Both APIs' error type for a refusal of the request's content. */
  static final String ERROR_TYPE = "invalid_request_error";

  private final StreamSink out;
  private final Dialect dialect;
  private final List<CompiledPolicy> policies;
  /**
   * An OpenAI answer's texts besides {@code content}: a refusal, and the reasoning some
   * OpenAI-compatible providers add (DeepSeek's {@code reasoning_content}, OpenRouter's and vLLM's
   * {@code reasoning}), read in a message and in a streamed delta alike.
   */
  static final List<String> OTHER_TEXTS = List.of("refusal", "reasoning_content", "reasoning");

  /** Every text of an OpenAI choice, in key order. */
  private static final List<String> TEXTS = List.of("content", "refusal", "reasoning_content", "reasoning");

  /** The texts not ended yet, by key (OpenAI: choice index × 4, + the member's place in {@link #TEXTS}; Anthropic: the block's index). */
  private final Map<Integer, Text> open = new LinkedHashMap<>();
  /** What each entry found in the texts that ended. */
  private final PiiFindings[] found;
  /**
   * The most characters of tool calls' arguments held at once (the default bound of a whole
   * answer, 8 MiB): past it the entries cannot read them, and the stream ends as blocked.
   */
  static final long MAX_HELD_ARGUMENTS = 8L * 1024 * 1024;

  /** A tool call of the answer: OpenAI's choice index and call index ({@code -1} a legacy {@code function_call}); Anthropic's block index. */
  private record Call(int choice, int index) {}

  /** The arguments of the tool calls not whole yet, as they came, in the order the calls began. */
  private final Map<Call, StringBuilder> held = new LinkedHashMap<>();
  private long heldChars;
  /** OpenAI: the last chunk, whose id, model and times frame a tail sent in a chunk of its own. */
  private ObjectNode lastChunk;
  private Decision denial;

  RedactingStreamSink(StreamSink out, Dialect dialect, List<CompiledPolicy> policies) {
    this.out = out;
    this.dialect = dialect;
    this.policies = List.copyOf(policies);
    this.found = new PiiFindings[policies.size()];
    Arrays.fill(found, PiiFindings.NONE);
  }

  List<CompiledPolicy> policies() {
    return policies;
  }

  /** What entry {@code i} found so far, in every text of the answer. */
  PiiFindings findings(int i) {
    PiiFindings f = found[i];
    for (Text t : open.values()) {
      f = f.plus(t.redactors[i].findings());
    }
    return f;
  }

  /** The denial of the entry that stopped the stream, or null. */
  Decision denial() {
    return denial;
  }

  @Override
  public void open() throws IOException {
    out.open();
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void event(String name, String data) throws IOException {
    if (denial != null) {
      throw new StreamStopped("the answer was stopped by " + denial.policy());
    }
    if (dialect == Dialect.OPENAI) {
      openAi(name, data);
    } else {
      anthropic(name, data);
    }
  }

  /** One text of the answer: the entries' redactors, each fed what the one before it let out. */
  private final class Text {
    final StreamingRedactor[] redactors = new StreamingRedactor[policies.size()];

    Text() {
      for (int i = 0; i < redactors.length; i++) {
        redactors[i] = policies.get(i).pii().stream();
      }
    }

    /** What of {@code delta} may go out now. */
    String push(String delta) {
      String s = delta;
      for (int i = 0; i < redactors.length; i++) {
        s = redactors[i].push(s);
        if (redactors[i].blocked()) {
          blocked(i, redactors[i].findings());
          return drain(i + 1, s);
        }
      }
      return s;
    }

    /** The text has ended: what is still held. */
    String finish() {
      return drain(0, "");
    }

    /** {@code s} through the entries from {@code from} on, each then finished (the text ends here). */
    private String drain(int from, String s) {
      for (int i = from; i < redactors.length; i++) {
        s = redactors[i].push(s) + redactors[i].finish();
        if (redactors[i].blocked()) {
          blocked(i, redactors[i].findings());
        }
      }
      return s;
    }
  }

  private void blocked(int policy, PiiFindings findings) {
    if (denial == null) {
      denial = PolicyNotes.piiBlocked(policies.get(policy).ref(), "the model answer", findings);
    }
  }

  /** Ends the text under {@code key}: what it still held (empty when nothing or when it had none). */
  private String end(int key) {
    Text t = open.remove(key);
    if (t == null) {
      return "";
    }
    String tail = t.finish();
    ended(t);
    return tail;
  }

  /** Adds what the entries found in {@code t}, a text that has ended, to the answer's findings. */
  private void ended(Text t) {
    for (int i = 0; i < found.length; i++) {
      found[i] = found[i].plus(t.redactors[i].findings());
    }
  }

  // ---- OpenAI: data-only chunks, then [DONE]

  private void openAi(String name, String data) throws IOException {
    if ("[DONE]".equals(data)) {
      endAllOpenAi();
      out.event(name, data);
      return;
    }
    // The translators send JSON objects only (a pass-through checks each chunk is one).
    JsonNode node = parse(data);
    if (!(node instanceof ObjectNode chunk) || chunk.hasNonNull("error")) {
      endAllOpenAi();
      out.event(name, data);
      return;
    }
    JsonNode choices = chunk.get("choices");
    if (choices == null || !choices.isContainerNode() || choices.isEmpty()) {
      out.event(name, data);
      return;
    }
    lastChunk = chunk;
    boolean changed = false;
    int at = 0;
    for (Iterator<JsonNode> it = choices.elements(); it.hasNext(); at++) {
      if (it.next() instanceof ObjectNode choice) {
        int index = choice.path("index").asInt(at);
        if (choice.get("delta") instanceof ObjectNode delta) {
          changed |= holdArguments(index, delta);
        }
        if (choice.hasNonNull("finish_reason") && denial == null) {
          releaseOpenAi(index); // the choice's calls are whole: their arguments go out before the chunk that ends it
        }
      }
    }
    int position = 0;
    for (Iterator<JsonNode> it = choices.elements(); it.hasNext(); position++) {
      if (!(it.next() instanceof ObjectNode choice)) {
        continue;
      }
      int index = choice.path("index").asInt(position);
      boolean ends = choice.hasNonNull("finish_reason");
      JsonNode d = choice.get("delta");
      ObjectNode delta = d instanceof ObjectNode o ? o : null;
      for (int m = 0; m < TEXTS.size(); m++) {
        String member = TEXTS.get(m);
        int key = index * TEXTS.size() + m;
        JsonNode text = delta == null ? null : delta.get(member);
        if (text != null && text.isContainerNode()) {
          // Content as parts ([{"type":"text","text":...}], which some OpenAI-compatible servers
          // stream): every text in it is redacted whole, as nothing of it can be held for later.
          delta.set(member, whole(text));
          changed = true;
          continue;
        }
        boolean hasText = text != null && text.isTextual();
        if (!hasText && !(ends && open.containsKey(key))) {
          continue;
        }
        String sent = hasText ? open.computeIfAbsent(key, k -> new Text()).push(text.textValue()) : "";
        if (ends && denial == null) {
          sent += end(key);
        }
        if (hasText || !sent.isEmpty()) {
          if (delta == null) {
            delta = choice.putObject("delta");
          }
          delta.put(member, sent);
          changed = true;
        }
      }
    }
    if (denial != null) {
      // The answer ends with the error event that follows: no choice is said to have finished well.
      for (JsonNode choice : choices) {
        if (choice instanceof ObjectNode c && c.hasNonNull("finish_reason")) {
          c.putNull("finish_reason");
          changed = true;
        }
      }
    }
    if (changed && emptied(chunk)) {
      stopIfDenied(); // its only news was arguments, now held
      return;
    }
    out.event(name, changed ? write(chunk) : data);
    stopIfDenied();
  }

  /**
   * Takes the arguments out of {@code delta}'s tool calls (and legacy {@code function_call}) and
   * holds them until the choice finishes: a call's first fragment goes on with its id and name
   * and empty arguments, a fragment that was only arguments goes no further. A call without an
   * {@code index} (some OpenAI-compatible servers send each call whole, in one delta) is read as
   * it comes, its arguments redacted whole. True when {@code delta} changed.
   */
  private boolean holdArguments(int choice, ObjectNode delta) {
    boolean changed = false;
    if (delta.get("tool_calls") instanceof ArrayNode calls) {
      ArrayNode kept = calls.arrayNode();
      for (JsonNode c : calls) {
        if (c instanceof ObjectNode call && call.get("function") instanceof ObjectNode function && function.path("arguments").isTextual()) {
          String arguments = function.get("arguments").textValue();
          changed = true;
          if (!call.path("index").canConvertToInt()) {
            String sent = release(arguments);
            function.put("arguments", sent == null ? "" : sent);
            kept.add(call);
            continue;
          }
          hold(new Call(choice, call.get("index").asInt()), arguments);
          if (call.size() > 2 || function.size() > 1) {
            function.put("arguments", "");
            kept.add(call);
          }
        } else {
          kept.add(c);
        }
      }
      if (changed) {
        if (kept.isEmpty()) {
          delta.remove("tool_calls");
        } else {
          delta.set("tool_calls", kept);
        }
      }
    }
    if (delta.get("function_call") instanceof ObjectNode function && function.path("arguments").isTextual()) {
      hold(new Call(choice, -1), function.get("arguments").textValue());
      changed = true;
      if (function.size() > 1) {
        function.put("arguments", "");
      } else {
        delta.remove("function_call");
      }
    }
    return changed;
  }

  /** A chunk that, once its arguments were taken out, says nothing: no delta member, no finish, no usage. */
  private static boolean emptied(ObjectNode chunk) {
    if (chunk.hasNonNull("usage")) {
      return false;
    }
    for (JsonNode choice : chunk.get("choices")) {
      for (Map.Entry<String, JsonNode> e : choice.properties()) {
        boolean said = switch (e.getKey()) {
          case "index" -> false;
          case "delta" -> !e.getValue().isEmpty();
          default -> !e.getValue().isNull(); // a finish, logprobs, whatever else a server adds
        };
        if (said) {
          return false;
        }
      }
    }
    return true;
  }

  /** The arguments of choice {@code choice}'s held calls through the entries, in a chunk of their own (none when an entry blocked). */
  private void releaseOpenAi(int choice) throws IOException {
    ArrayNode calls = JSON.createArrayNode();
    String legacy = null;
    for (Call c : List.copyOf(held.keySet())) {
      if (c.choice() != choice) {
        continue;
      }
      String sent = release(held.remove(c).toString());
      if (sent == null) {
        return;
      }
      if (c.index() < 0) {
        legacy = sent;
      } else {
        calls.addObject().put("index", c.index()).putObject("function").put("arguments", sent);
      }
    }
    if (calls.isEmpty() && legacy == null) {
      return;
    }
    ObjectNode chunk = frame();
    ObjectNode c = chunk.putArray("choices").addObject().put("index", choice);
    ObjectNode delta = c.putObject("delta");
    if (!calls.isEmpty()) {
      delta.set("tool_calls", calls);
    }
    if (legacy != null) {
      delta.putObject("function_call").put("arguments", legacy);
    }
    c.putNull("finish_reason");
    out.event(null, write(chunk));
  }

  /** A chunk of its own, framed like the last one (its id, model, times), without choices or usage. */
  private ObjectNode frame() {
    ObjectNode chunk = JSON.createObjectNode();
    lastChunk.properties().forEach(e -> {
      if (!e.getKey().equals("choices") && !e.getKey().equals("usage")) {
        chunk.set(e.getKey(), e.getValue());
      }
    });
    return chunk;
  }

  private void hold(Call call, String fragment) {
    heldChars += fragment.length();
    if (heldChars > MAX_HELD_ARGUMENTS) {
      if (denial == null) {
        denial = PolicyNotes.uninspectable(policies.get(0).ref(), DenialCodes.PII_DETECTED, "the model answer's tool call arguments",
            "more than " + MAX_HELD_ARGUMENTS / (1024 * 1024) + " MiB of them");
      }
      return;
    }
    held.computeIfAbsent(call, k -> new StringBuilder()).append(fragment);
  }

  /**
   * A whole call's arguments, as they came, through the entries (read as {@code tool-arguments}
   * reads a tool's: {@link CallArguments}): what goes out (as they came when nothing was
   * redacted), or null when an entry blocked.
   */
  private String release(String arguments) {
    CallArguments.Slot slot = CallArguments.ofText(null, null, arguments);
    JsonNode value = slot.value();
    boolean changed = false;
    for (int i = 0; i < policies.size(); i++) {
      PiiPolicy pii = policies.get(i).pii();
      PiiPolicy.JsonResult r;
      try {
        r = pii.check(value);
      } catch (IllegalArgumentException e) {
        if (denial == null) {
          denial = PolicyNotes.uninspectable(policies.get(i).ref(), DenialCodes.PII_DETECTED, "the model answer's tool call arguments", e.getMessage());
        }
        return null;
      }
      if (!r.decision().allowed()) {
        blocked(i, r.findings());
        return null;
      }
      found[i] = found[i].plus(r.findings());
      if (!r.findings().isEmpty() && pii.action() == PiiPolicy.Action.REDACT) {
        value = r.tree();
        changed = true;
      }
    }
    return changed ? slot.text(value) : arguments;
  }

  /**
   * {@code node} with every text in it put through the entries as a text of its own, found what
   * they found; once an entry blocked, the texts left are sent empty (the error event follows).
   */
  private JsonNode whole(JsonNode node) {
    if (node.isTextual()) {
      if (denial != null) {
        return TextNode.valueOf("");
      }
      Text t = new Text();
      String sent = t.push(node.textValue());
      if (denial == null) {
        sent += t.finish();
      }
      ended(t);
      return TextNode.valueOf(denial == null ? sent : "");
    }
    if (node instanceof ObjectNode o) {
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        e.setValue(whole(e.getValue()));
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        a.set(i, whole(a.get(i)));
      }
    }
    return node;
  }

  /** Sends the arguments still held, then what every open text still holds, each in a chunk of its own (a stream that ends without finishing them). */
  private void endAllOpenAi() throws IOException {
    while (!held.isEmpty() && denial == null) {
      releaseOpenAi(held.keySet().iterator().next().choice());
    }
    stopIfDenied();
    for (Integer key : List.copyOf(open.keySet())) {
      String tail = end(key);
      if (!tail.isEmpty() && lastChunk != null) {
        ObjectNode chunk = frame();
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", key / TEXTS.size());
        choice.putObject("delta").put(TEXTS.get(key % TEXTS.size()), tail);
        choice.putNull("finish_reason");
        out.event(null, write(chunk));
      }
      stopIfDenied();
    }
  }

  // ---- Anthropic: named events; text in content_block_delta's text_delta

  private void anthropic(String name, String data) throws IOException {
    if (name == null) {
      out.event(name, data);
      return;
    }
    switch (name) {
      case "content_block_start" -> {
        JsonNode node = parse(data);
        JsonNode block = node == null ? null : node.get("content_block");
        if (block instanceof ObjectNode b && b.get("input") instanceof ObjectNode input && !input.isEmpty()) {
          // a tool use whose input comes whole in its start (Anthropic's own start with {} and send it in deltas)
          String sent = release(input.toString());
          if (sent != null) {
            b.set("input", parse(sent));
            out.event(name, write(node));
          }
          stopIfDenied();
          return;
        }
        if (block instanceof ObjectNode b && "text".equals(b.path("type").asText())) {
          boolean text = b.path("text").isTextual() && !b.get("text").textValue().isEmpty();
          boolean cited = b.get("citations") instanceof ArrayNode citations && !citations.isEmpty();
          if (text || cited) {
            if (text) {
              b.put("text", open.computeIfAbsent(node.path("index").asInt(), k -> new Text()).push(b.get("text").textValue()));
            }
            if (cited) {
              for (JsonNode c : b.get("citations")) {
                if (c instanceof ObjectNode citation) {
                  wholeCitedText(citation);
                }
              }
            }
            out.event(name, write(node));
            stopIfDenied();
            return;
          }
        }
        out.event(name, data);
      }
      case "content_block_delta" -> {
        JsonNode node = parse(data);
        JsonNode d = node == null ? null : node.get("delta");
        if (d instanceof ObjectNode delta && "text_delta".equals(delta.path("type").asText()) && delta.path("text").isTextual()) {
          String sent = open.computeIfAbsent(node.path("index").asInt(), k -> new Text()).push(delta.get("text").textValue());
          if (!sent.isEmpty()) {
            delta.put("text", sent);
            out.event(name, write(node));
          }
          stopIfDenied();
          return;
        }
        if (d instanceof ObjectNode delta && "input_json_delta".equals(delta.path("type").asText()) && delta.path("partial_json").isTextual()) {
          hold(new Call(0, node.path("index").asInt()), delta.get("partial_json").textValue()); // goes out whole before the block's stop
          stopIfDenied();
          return;
        }
        if (d instanceof ObjectNode delta && "citations_delta".equals(delta.path("type").asText())
            && delta.get("citation") instanceof ObjectNode citation && citation.path("cited_text").isTextual()) {
          wholeCitedText(citation);
          out.event(name, write(node));
          stopIfDenied();
          return;
        }
        out.event(name, data);
      }
      case "content_block_stop" -> {
        JsonNode node = parse(data);
        int index = node == null ? -1 : node.path("index").asInt(-1);
        releaseAnthropic(index);
        String tail = end(index);
        if (!tail.isEmpty()) {
          out.event("content_block_delta", textDelta(index, tail));
        }
        stopIfDenied();
        out.event(name, data);
      }
      case "message_delta", "message_stop", "error" -> {
        for (Call c : List.copyOf(held.keySet())) {
          releaseAnthropic(c.index());
          stopIfDenied();
        }
        for (Integer index : List.copyOf(open.keySet())) {
          String tail = end(index);
          if (!tail.isEmpty()) {
            out.event("content_block_delta", textDelta(index, tail));
          }
          stopIfDenied();
        }
        out.event(name, data);
      }
      default -> out.event(name, data);
    }
  }

  /** Block {@code index}'s held arguments, whole, through the entries, in one {@code input_json_delta} (none when an entry blocked). */
  private void releaseAnthropic(int index) throws IOException {
    StringBuilder arguments = held.remove(new Call(0, index));
    if (arguments == null || denial != null) {
      return;
    }
    String sent = release(arguments.toString());
    if (sent != null) {
      ObjectNode event = JSON.createObjectNode().put("type", "content_block_delta").put("index", index);
      event.putObject("delta").put("type", "input_json_delta").put("partial_json", sent);
      out.event("content_block_delta", write(event));
    }
  }

  /** A citation's quote of the document it cites, which comes whole in one event: redacted whole. */
  private void wholeCitedText(ObjectNode citation) {
    if (citation.path("cited_text").isTextual()) {
      citation.set("cited_text", whole(citation.get("cited_text")));
    }
  }

  private static String textDelta(int index, String text) throws IOException {
    ObjectNode event = JSON.createObjectNode().put("type", "content_block_delta").put("index", index);
    event.putObject("delta").put("type", "text_delta").put("text", text);
    return write(event);
  }

  // ---- the end of a blocked stream

  /** After an entry blocked: the error event of the caller's dialect, then the stream is over. */
  private void stopIfDenied() throws IOException {
    if (denial == null) {
      return;
    }
    ObjectNode event = JSON.createObjectNode();
    if (dialect == Dialect.OPENAI) {
      ObjectNode error = event.putObject("error").put("message", denial.reason()).put("type", ERROR_TYPE);
      error.putNull("param");
      error.put("code", denial.code());
      out.event(null, write(event));
    } else {
      event.put("type", "error");
      event.putObject("error").put("type", ERROR_TYPE).put("message", denial.reason()).put("code", denial.code());
      out.event("error", write(event));
    }
    out.flush();
    throw new StreamStopped("the answer was stopped by " + denial.policy());
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
