package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * An OpenAI stream as Anthropic events, each written as soon as its chunk arrives: the first
 * chunk → {@code message_start}; content (and refusal) → a text block's start and {@code
 * text_delta}s; a tool call's first fragment (the one with its id) → a {@code tool_use} block's
 * start, its arguments fragments → {@code input_json_delta}s; a block stops when the next begins
 * or the finish reason comes. Only at the end of the stream ({@code [DONE]}, or {@link #finish})
 * come {@code message_delta} (stop reason and usage) and {@code message_stop}, since OpenAI reports
 * usage in a chunk of its own after the finish reason. Only the first choice is read.
 */
final class OpenAiToAnthropicStream extends StreamTap {
  /** Each call's OpenAI index: its own, or one given when the provider sent none. */
  private final ToolCallIndexes indexes = new ToolCallIndexes();
  /** OpenAI tool call index → Anthropic content block index. */
  private final Map<Integer, Integer> toolBlocks = new HashMap<>();
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
        closeBlock(out);
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
      closeBlock(out);
      ObjectNode block = Json.object().put("type", "text").put("text", "");
      openBlock(block, out);
      textOpen = true;
    }
    ObjectNode event = Json.object().put("type", "content_block_delta").put("index", openBlock);
    event.putObject("delta").put("type", "text_delta").put("text", text);
    emit(event, out);
  }

  private void toolCall(JsonNode call, StreamSink out) throws IOException {
    int index = indexes.of(call); // a provider that sends none (some compatible servers): see ToolCallIndexes
    JsonNode function = call.path("function");
    Integer block = toolBlocks.get(index);
    if (block == null) {
      closeBlock(out);
      String id = Json.text(call, "id");
      String name = Json.text(function, "name");
      if (name == null || name.isEmpty()) {
        throw Json.upstream("the provider's stream began a tool call without a name", false);
      }
      ObjectNode start = Json.object().put("type", "tool_use");
      start.put("id", Ids.toolUse(id != null ? id : "toolu_" + messageId.substring(Ids.ANTHROPIC_PREFIX.length()) + "_" + index));
      start.put("name", name == null ? "" : name);
      start.putObject("input");
      block = openBlock(start, out);
      toolBlocks.put(index, block);
      this.arguments.begin(index);
      openTool = index;
    }
    String arguments = Json.text(function, "arguments");
    if (arguments != null && !arguments.isEmpty()) {
      this.arguments.add(index, arguments);
      relay(arguments);
      ObjectNode event = Json.object().put("type", "content_block_delta").put("index", block);
      event.putObject("delta").put("type", "input_json_delta").put("partial_json", arguments);
      emit(event, out);
    }
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
    closeBlock(out);
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
