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
 * ({@code citations_delta}'s {@code cited_text}). A tool call is held until it is whole and its
 * arguments read as {@link CallArguments} reads them (a fragment of JSON cannot be read for a
 * value split across fragments, nor redacted and stay JSON; at most {@link #MAX_HELD_ARGUMENTS}
 * held at once): an OpenAI choice's calls go out whole, in index order, in a chunk just before the
 * one that finishes it (with the text that chunk carried); an Anthropic block's {@code input_json_delta} fragments as one, before its
 * {@code content_block_stop}. Other events (thinking, usage) pass unchanged.
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

  /** The most tool calls held at once, and the highest choice index whose finish is followed (as {@code n} is bounded). */
  static final int MAX_HELD_CALLS = 1024;

  /**
   * A tool call of the answer: OpenAI's choice index and call index ({@link #LEGACY} a legacy
   * {@code function_call}, below it a call sent without an index); Anthropic's block index.
   */
  private record Call(int choice, int index) {}

  private static final int LEGACY = -1;

  /** A call not whole yet: OpenAI's members as they came (its id, type, function's name, what a server adds), and its arguments. */
  private static final class Held {
    final ObjectNode head = JSON.createObjectNode();
    final ObjectNode function = JSON.createObjectNode();
    final StringBuilder arguments = new StringBuilder();
  }

  /** The tool calls not whole yet, in the order they began. */
  private final Map<Call, Held> held = new LinkedHashMap<>();
  /** The characters of arguments held now. */
  private long heldChars;
  /** OpenAI: the choices that have finished (what a provider sends for one after its finish is dropped). */
  private final java.util.Set<Integer> finished = new java.util.HashSet<>();
  /** OpenAI: how many calls without an index began, and the last one's key by choice. */
  private int unindexed;
  private final Map<Integer, Call> lastUnindexed = new java.util.HashMap<>();
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
  public void keepAlive() throws IOException {
    out.keepAlive();
  }

  @Override
  public long written() {
    return out.written();
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

    /**
     * A high surrogate that ended what went out last, held for the low one that completes its
     * character: written alone, a half of a pair becomes {@code ?} (a provider that split an
     * emoji between two chunks had it reach the client as {@code ??}).
     */
    private String half = "";

    /** What of {@code delta} may go out now. */
    String push(String delta) {
      String s = delta;
      for (int i = 0; i < redactors.length; i++) {
        s = redactors[i].push(s);
        if (redactors[i].blocked()) {
          blocked(i, redactors[i].findings());
          return whole(drain(i + 1, s));
        }
      }
      return whole(s);
    }

    /** The text has ended: what is still held. */
    String finish() {
      String rest = half + drain(0, "");
      half = "";
      return rest;
    }

    /** {@code s} after what was held, less a high surrogate at its end, which is held. */
    private String whole(String s) {
      String out = half.isEmpty() ? s : half + s;
      half = "";
      if (!out.isEmpty() && Character.isHighSurrogate(out.charAt(out.length() - 1))) {
        half = out.substring(out.length() - 1);
        out = out.substring(0, out.length() - 1);
      }
      return out;
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
      if (!(it.next() instanceof ObjectNode choice)) {
        continue;
      }
      if (choice.hasNonNull("logprobs")) {
        choice.putNull("logprobs"); // each token the text is made of, which no entry can redact one by one
        changed = true;
      }
      if (choice.get("delta") instanceof ObjectNode delta) {
        int index = choice.path("index").asInt(at);
        if (finished.contains(index)) {
          // Its calls went out whole and its texts ended at its finish: more of either would
          // complete a value the entries read without it (a probe's card was finished so).
          if (!delta.isEmpty()) {
            choice.putObject("delta");
            changed = true;
          }
          continue;
        }
        changed |= holdCalls(index, delta);
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
    // A choice that finishes has its calls whole: they go out just before the chunk that finishes
    // it, after its text (the OpenAI SDK's stream helper reads a finish before the calls beside
    // it, and ends the last call there), so its delta goes with them.
    at = 0;
    for (Iterator<JsonNode> it = choices.elements(); it.hasNext() && denial == null; at++) {
      if (it.next() instanceof ObjectNode choice && choice.hasNonNull("finish_reason")) {
        int index = choice.path("index").asInt(at);
        if (index >= 0 && index < MAX_HELD_CALLS) {
          finished.add(index);
        }
        ObjectNode released = releaseOpenAi(index);
        if (released != null && denial == null) {
          ObjectNode before = frame();
          ObjectNode c = before.putArray("choices").addObject().put("index", index);
          ObjectNode delta = choice.get("delta") instanceof ObjectNode d ? d.deepCopy() : JSON.createObjectNode();
          c.set("delta", delta.setAll(released));
          c.putNull("finish_reason");
          out.event(null, write(before));
          choice.putObject("delta");
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
   * Takes {@code delta}'s tool calls (and legacy {@code function_call}) out and holds them until
   * the choice finishes, when each goes out whole ({@link #releaseOpenAi}): a call's fragments
   * are joined by its {@code index}; those of a call without one (some OpenAI-compatible servers
   * send each call whole, in one delta) by its {@code id}, a fragment without one continuing the
   * last. True when {@code delta} changed.
   */
  private boolean holdCalls(int choice, ObjectNode delta) {
    boolean changed = false;
    if (delta.get("tool_calls") instanceof ArrayNode calls) {
      ArrayNode kept = calls.arrayNode();
      for (JsonNode c : calls) {
        if (!(c instanceof ObjectNode call)) {
          kept.add(c);
          continue;
        }
        Integer index = index(call.get("index"));
        Call key;
        if (index != null) {
          key = new Call(choice, index);
        } else if (call.hasNonNull("id") || !lastUnindexed.containsKey(choice)) {
          key = new Call(choice, LEGACY - 1 - unindexed++);
          lastUnindexed.put(choice, key);
        } else {
          key = lastUnindexed.get(choice);
        }
        hold(key, call);
      }
      changed = true;
      if (kept.isEmpty()) {
        delta.remove("tool_calls");
      } else {
        delta.set("tool_calls", kept);
      }
    }
    if (delta.get("function_call") instanceof ObjectNode function) {
      hold(new Call(choice, LEGACY), JSON.createObjectNode().set("function", function));
      delta.remove("function_call");
      changed = true;
    }
    return changed;
  }

  /** A call's {@code index}: a number, or digits in a string (which a JavaScript client reads as the same); null when it has none. */
  private static Integer index(JsonNode index) {
    if (index != null && index.canConvertToInt() && index.isIntegralNumber()) {
      return index.intValue();
    }
    if (index != null && index.isTextual() && index.textValue().matches("[0-9]{1,9}")) {
      return Integer.parseInt(index.textValue());
    }
    return null;
  }

  /** Adds {@code fragment}'s members to call {@code key}: its arguments appended, the rest set as they come. */
  private void hold(Call key, ObjectNode fragment) {
    Held h = heldFor(key);
    if (h == null) {
      return;
    }
    for (Map.Entry<String, JsonNode> e : fragment.properties()) {
      if (e.getKey().equals("index")) {
        continue;
      }
      if (e.getKey().equals("function") && e.getValue() instanceof ObjectNode function) {
        for (Map.Entry<String, JsonNode> f : function.properties()) {
          if (f.getKey().equals("arguments") && f.getValue().isTextual()) {
            hold(h, f.getValue().textValue());
          } else {
            h.function.set(f.getKey(), f.getValue());
          }
        }
      } else {
        h.head.set(e.getKey(), e.getValue());
      }
    }
  }

  /** Call {@code key} as held so far, begun if it was not; null (the stream then ends as blocked) past {@link #MAX_HELD_CALLS}. */
  private Held heldFor(Call key) {
    Held h = held.get(key);
    if (h == null && held.size() >= MAX_HELD_CALLS) {
      if (denial == null) {
        denial = PolicyNotes.uninspectable(policies.get(0).ref(), DenialCodes.PII_DETECTED, "the model answer's tool calls",
            "more than " + MAX_HELD_CALLS + " of them at once");
      }
      return null;
    }
    if (h == null) {
      h = new Held();
      held.put(key, h);
    }
    return h;
  }

  /** Appends to a call's arguments, within {@link #MAX_HELD_ARGUMENTS} held at once. */
  private void hold(Held h, String fragment) {
    heldChars += fragment.length();
    if (heldChars > MAX_HELD_ARGUMENTS) {
      if (denial == null) {
        denial = PolicyNotes.uninspectable(policies.get(0).ref(), DenialCodes.PII_DETECTED, "the model answer's tool call arguments",
            "more than " + MAX_HELD_ARGUMENTS / (1024 * 1024) + " MiB of them at once");
      }
      return;
    }
    h.arguments.append(fragment);
  }

  /** Takes call {@code key} from those held, its arguments through the entries: what goes out of them, or null when an entry blocked. */
  private String release(Call key, Held h) {
    held.remove(key);
    heldChars -= h.arguments.length();
    return release(h.arguments.toString());
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

  /**
   * Choice {@code choice}'s held calls, each whole, its arguments through the entries, as the
   * members of a delta ({@code tool_calls} in index order, then those sent without one, and
   * {@code function_call}); null when it held none, or when an entry blocked.
   */
  private ObjectNode releaseOpenAi(int choice) {
    List<Map.Entry<Call, Held>> calls = new java.util.ArrayList<>();
    for (Map.Entry<Call, Held> e : held.entrySet()) {
      if (e.getKey().choice() == choice) {
        calls.add(e);
      }
    }
    if (calls.isEmpty()) {
      return null;
    }
    // In index order, as an SDK expects calls to begin (it takes a new index for the end of the one before).
    calls.sort(java.util.Comparator.comparingInt((Map.Entry<Call, Held> e) -> e.getKey().index() < LEGACY ? Integer.MAX_VALUE : e.getKey().index()));
    ObjectNode delta = JSON.createObjectNode();
    ArrayNode toolCalls = JSON.createArrayNode();
    for (Map.Entry<Call, Held> e : calls) {
      Held h = e.getValue();
      String sent = release(e.getKey(), h);
      if (sent == null) {
        return null;
      }
      ObjectNode function = h.function.deepCopy().put("arguments", sent);
      if (e.getKey().index() == LEGACY) {
        delta.set("function_call", function);
        continue;
      }
      ObjectNode call = toolCalls.addObject();
      if (e.getKey().index() > LEGACY) {
        call.put("index", e.getKey().index());
      }
      call.setAll(h.head);
      call.set("function", function);
    }
    if (!toolCalls.isEmpty()) {
      delta.set("tool_calls", toolCalls);
    }
    return delta;
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
      TextPolicies.Arguments r = TextPolicies.arguments(policies.get(i), value, "the model answer");
      if (r.denial() != null) {
        if (denial == null) {
          denial = r.denial();
        }
        return null;
      }
      found[i] = found[i].plus(r.findings());
      changed |= r.tree() != value;
      value = r.tree();
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

  /** Sends what every open text still holds, then the calls still held, each in a chunk of its own (a stream that ends without finishing them). */
  private void endAllOpenAi() throws IOException {
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
    while (!held.isEmpty()) {
      int choice = held.keySet().iterator().next().choice();
      ObjectNode released = releaseOpenAi(choice);
      stopIfDenied();
      ObjectNode chunk = frame();
      ObjectNode c = chunk.putArray("choices").addObject().put("index", choice);
      c.set("delta", released);
      c.putNull("finish_reason");
      out.event(null, write(chunk));
    }
  }

  // ---- Anthropic: named events; text in content_block_delta's text_delta

  private void anthropic(String name, String data) throws IOException {
    if (name == null) {
      out.event(name, data);
      return;
    }
    switch (name) {
      case "message_start" -> {
        // Anthropic's message starts with no content (it comes in blocks); content a provider put
        // there anyway would reach the client unread (the SDK's final message keeps it).
        JsonNode node = parse(data);
        if (node != null && node.get("message") instanceof ObjectNode message && message.has("content")
            && !(message.get("content").isArray() && message.get("content").isEmpty())) {
          message.putArray("content");
          out.event(name, write(node));
          return;
        }
        out.event(name, data);
      }
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
          // goes out whole before the block's stop
          Held h = heldFor(new Call(0, node.path("index").asInt()));
          if (h != null) {
            hold(h, delta.get("partial_json").textValue());
          }
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
    Call key = new Call(0, index);
    Held h = held.get(key);
    if (h == null || denial != null) {
      return;
    }
    String sent = release(key, h);
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
