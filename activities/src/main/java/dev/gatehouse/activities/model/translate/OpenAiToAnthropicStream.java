package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;
import java.util.Map;

/**
 * An OpenAI stream as Anthropic events, each written as soon as its chunk arrives: the first
 * chunk → {@code message_start}; content (and refusal) → a text block's start and {@code
 * text_delta}s; a tool call → a {@code tool_use} block, begun at the call's first fragment of
 * arguments (its name may come in pieces before), its arguments fragments → {@code
 * input_json_delta}s; a block stops when the next begins or the finish reason comes. Anthropic's
 * blocks come one after another, while a provider may interleave the fragments of parallel calls:
 * a call that begins while another's arguments are not yet a whole JSON object waits, its
 * fragments kept, and its block begins (with what was kept) once that object is whole, or when
 * text or the finish comes. Only at the end of the stream ({@code [DONE]}, or {@link #finish})
 * come {@code message_delta} (stop reason and usage) and {@code message_stop}, since OpenAI reports
 * usage in a chunk of its own after the finish reason. Only the first choice is read.
 */
final class OpenAiToAnthropicStream extends StreamTap {
  /** Each call's OpenAI index: its own, or one given when the provider sent none. */
  private final ToolCallIndexes indexes = new ToolCallIndexes();
  /** The OpenAI indexes of the calls whose blocks have begun. */
  private final java.util.Set<Integer> begun = new java.util.HashSet<>();
  /** Calls seen whose blocks have not begun, in the order they came: what they sent so far. */
  private final Map<Integer, Waiting> waiting = new java.util.LinkedHashMap<>();
  private final StreamedToolArguments arguments = new StreamedToolArguments();
  /** The OpenAI index of the tool call whose block is open, or -1. */
  private int openTool = -1;
  private String messageId;
  private int nextBlock;
  /** The block open now: -1 when none. */
  private int openBlock = -1;
  private boolean textOpen;
  private String finishReason;
  private boolean refused;
  private boolean stopped;

  OpenAiToAnthropicStream() {
    super(Dialect.ANTHROPIC);
  }

  @Override
  public void accept(SseEvent upstream, StreamSink out) throws IOException {
    if (stopped) {
      return;
    }
    if (OpenAiChunks.isDone(upstream)) {
      complete = true;
      stop(out);
      return;
    }
    ObjectNode chunk = parse(upstream);
    OpenAiChunks.checkError(chunk);
    ModelUsage reported = Usages.fromOpenAi(chunk.get("usage"));
    if (reported != null) {
      usage = reported;
    }
    JsonNode choices = chunk.path("choices");
    if (reported == null && (!choices.isArray() || choices.isEmpty())) {
      return; // nothing to say: Azure's prompt-filter chunk, say
    }
    if (messageId == null) {
      start(chunk, out);
    }
    JsonNode choice = OpenAiChunks.firstChoice(chunk);
    if (choice.isObject()) {
      JsonNode delta = choice.path("delta");
      text(Json.text(delta, "content"), out);
      String refusal = Json.text(delta, "refusal");
      refused |= refusal != null && !refusal.isEmpty();
      text(refusal, out);
      for (JsonNode call : delta.path("tool_calls")) {
        toolCall(call, out);
      }
      if (choice.hasNonNull("finish_reason")) {
        finishReason = choice.get("finish_reason").asText();
        settle(out);
      }
    }
    // Complete once a usage comes with the finish or after it: some servers put a running usage in
    // every chunk, and the one before the finish is not the last.
    complete |= finishReason != null && reported != null;
  }

  private void start(ObjectNode chunk, StreamSink out) throws IOException {
    messageId = Ids.anthropicMessage(Json.text(chunk, "id"));
    ObjectNode event = Json.object().put("type", "message_start");
    ObjectNode message = event.putObject("message");
    message.put("id", messageId).put("type", "message").put("role", "assistant").put("model", Json.text(chunk, "model"));
    message.putArray("content");
    message.putNull("stop_reason");
    message.putNull("stop_sequence");
    message.putObject("usage").put("input_tokens", 0).put("output_tokens", 0); // OpenAI reports usage only at the end
    emit(event, out);
  }

  private void text(String text, StreamSink out) throws IOException {
    if (text == null || text.isEmpty()) {
      return;
    }
    relay(text);
    if (!textOpen) {
      settle(out);
      ObjectNode block = Json.object().put("type", "text").put("text", "");
      openBlock(block, out);
      textOpen = true;
    }
    ObjectNode event = Json.object().put("type", "content_block_delta").put("index", openBlock);
    event.putObject("delta").put("type", "text_delta").put("text", text);
    emit(event, out);
  }

  /** A call seen whose block has not begun: its id, its name and arguments as they came so far. */
  private static final class Waiting {
    final int index;
    String id;
    final StringBuilder name = new StringBuilder();
    final StringBuilder arguments = new StringBuilder();

    Waiting(int index) {
      this.index = index;
    }
  }

  private void toolCall(JsonNode call, StreamSink out) throws IOException {
    int index = indexes.of(call); // a provider that sends none (some compatible servers): see ToolCallIndexes
    JsonNode function = call.path("function");
    String arguments = Json.text(function, "arguments");
    if (index == openTool) {
      // (a piece of its name now would come too late: the block's start named it)
      if (arguments != null && !arguments.isEmpty()) {
        this.arguments.add(index, arguments);
        relay(arguments);
        inputDelta(arguments, out);
      }
      if (!waiting.isEmpty() && this.arguments.whole(index)) {
        closeBlock(out);
        beginReady(out);
      }
      return;
    }
    if (begun.contains(index)) {
      throw Json.upstream("the provider's stream sent more of a tool call after it had ended", false);
    }
    Waiting w = waiting.computeIfAbsent(index, Waiting::new);
    String id = Json.text(call, "id");
    if (w.id == null && id != null) {
      w.id = id;
    }
    String name = Json.text(function, "name");
    if (name != null) {
      keep(w.name, name);
    }
    if (arguments != null) {
      keep(w.arguments, arguments);
    }
    if (openTool >= 0 && this.arguments.whole(openTool)) {
      closeBlock(out); // the open call's arguments are whole: another has begun
    }
    beginReady(out);
  }

  private static void keep(StringBuilder kept, String more) {
    if (kept.length() + more.length() > StreamedToolArguments.MAX_CHARS) {
      throw Json.upstream("the provider's stream sent a tool call over " + StreamedToolArguments.MAX_CHARS + " characters", false);
    }
    kept.append(more);
  }

  /**
   * Begins the blocks of the waiting calls that may begin now: while no call's block is open, the
   * first waiting call once it has arguments (before them, its name may still be coming), and
   * after it the next, as long as each begun has whole arguments.
   */
  private void beginReady(StreamSink out) throws IOException {
    while (openTool < 0 && !waiting.isEmpty()) {
      Waiting first = waiting.values().iterator().next();
      if (first.arguments.length() == 0) {
        return;
      }
      begin(first, out);
      if (waiting.isEmpty() || !this.arguments.whole(first.index)) {
        return;
      }
      closeBlock(out);
    }
  }

  /** Every waiting call's block, begun and ended in turn (text or the finish came), and the open block ended. */
  private void settle(StreamSink out) throws IOException {
    for (Waiting w : java.util.List.copyOf(waiting.values())) {
      begin(w, out);
    }
    closeBlock(out);
  }

  /** The block of waiting call {@code w}, with the arguments it sent so far in one delta. */
  private void begin(Waiting w, StreamSink out) throws IOException {
    waiting.remove(w.index);
    closeBlock(out);
    if (w.name.length() == 0) {
      throw Json.upstream("the provider's stream began a tool call without a name", false);
    }
    ObjectNode start = Json.object().put("type", "tool_use");
    start.put("id", Ids.toolUse(w.id != null ? w.id : "toolu_" + messageId.substring(Ids.ANTHROPIC_PREFIX.length()) + "_" + w.index));
    start.put("name", w.name.toString());
    start.putObject("input");
    openBlock(start, out);
    begun.add(w.index);
    this.arguments.begin(w.index);
    openTool = w.index;
    if (w.arguments.length() > 0) {
      String kept = w.arguments.toString();
      this.arguments.add(w.index, kept);
      relay(kept);
      inputDelta(kept, out);
    }
  }

  private void inputDelta(String partialJson, StreamSink out) throws IOException {
    ObjectNode event = Json.object().put("type", "content_block_delta").put("index", openBlock);
    event.putObject("delta").put("type", "input_json_delta").put("partial_json", partialJson);
    emit(event, out);
  }

  private int openBlock(ObjectNode block, StreamSink out) throws IOException {
    openBlock = nextBlock++;
    ObjectNode event = Json.object().put("type", "content_block_start").put("index", openBlock);
    event.set("content_block", block);
    emit(event, out);
    return openBlock;
  }

  private void closeBlock(StreamSink out) throws IOException {
    if (openTool >= 0) {
      int tool = openTool;
      openTool = -1;
      arguments.end(tool); // before the block's stop: a call whose arguments are not an object ends the stream with the provider's error
    }
    if (openBlock >= 0) {
      emit(Json.object().put("type", "content_block_stop").put("index", openBlock), out);
      openBlock = -1;
      textOpen = false;
    }
  }

  /** The end: the open block, then message_delta with the stop reason and the usage, then message_stop. */
  private void stop(StreamSink out) throws IOException {
    stopped = true;
    if (messageId == null) {
      return; // the provider sent nothing to answer with
    }
    settle(out);
    ObjectNode delta = Json.object().put("type", "message_delta");
    delta.putObject("delta").put("stop_reason", StopReasons.toAnthropic(finishReason, refused)).putNull("stop_sequence");
    ModelUsage shown = usage != null ? usage : estimate != null ? estimate.apply(relayedText()) : ModelUsage.NONE;
    delta.set("usage", Usages.toAnthropic(shown));
    emit(delta, out);
    emit(Json.object().put("type", "message_stop"), out);
  }

  @Override
  public void finish(StreamSink out) throws IOException {
    if (!stopped) {
      stop(out);
    }
  }

  private static void emit(ObjectNode event, StreamSink out) throws IOException {
    out.event(event.get("type").textValue(), Json.write(event));
  }
}
