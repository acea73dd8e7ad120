package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * An Anthropic stream as OpenAI chunks, each written as soon as its event arrives: {@code
 * message_start} → the first chunk (role, empty content); a text delta → a content chunk; a
 * {@code tool_use} block's start → a {@code tool_calls} chunk with its index, id and name, and each
 * {@code input_json_delta} → an arguments fragment under that index; {@code message_delta} → the
 * chunk with the finish reason; {@code message_stop} → the usage chunk (when the caller asked for
 * usage) and {@code [DONE]}; a call whose input never came gets {@code "{}"} at its block's stop.
 * Thinking, server tools' blocks and {@code ping} produce nothing.
 */
final class AnthropicToOpenAiStream extends StreamTap {
  private final boolean clientWantsUsage;
  private final long created;
  private final AnthropicEvents events = new AnthropicEvents();
  /** Anthropic content block index → OpenAI tool call index, for tool_use blocks. */
  private final Map<Integer, Integer> toolCalls = new HashMap<>();
  /** The blocks the provider started, by index. */
  private final java.util.Set<Integer> blocks = new java.util.HashSet<>();
  /** The blocks of server tools' calls ({@code server_tool_use}, {@code mcp_tool_use}), which the provider runs itself. */
  private final java.util.Set<Integer> serverTools = new java.util.HashSet<>();
  private final StreamedToolArguments arguments = new StreamedToolArguments();
  private String id;
  private String model;
  private boolean done;

  AnthropicToOpenAiStream(boolean clientWantsUsage, Clock clock) {
    super(Dialect.OPENAI);
    this.clientWantsUsage = clientWantsUsage;
    this.created = clock.instant().getEpochSecond();
  }

  @Override
  public void accept(SseEvent upstream, StreamSink out) throws IOException {
    if (done) {
      return;
    }
    ObjectNode data = parse(upstream);
    String type = AnthropicEvents.type(upstream, data);
    checkAnthropicError(type, data);
    events.tap(type, data);
    usage = events.usage();
    usageFinal = events.usageFinal();
    relay(AnthropicEvents.deltaText(type, data));
    if (!type.equals("message_start") && !type.equals("ping") && id == null) {
      throw Json.upstream("the provider's stream did not begin with message_start", false);
    }
    switch (type) {
      case "message_start" -> {
        id = Ids.openAiCompletion(Json.text(data.path("message"), "id"));
        model = Json.text(data.path("message"), "model");
        out.event(null, Json.write(chunk(Json.object().put("role", "assistant").put("content", ""), null)));
      }
      case "content_block_start" -> blockStart(data, out);
      case "content_block_delta" -> blockDelta(data, out);
      case "content_block_stop" -> blockStop(data.path("index").asInt(-1), out);
      case "message_delta" -> {
        String finish = StopReasons.toOpenAi(Json.text(data.path("delta"), "stop_reason"));
        out.event(null, Json.write(chunk(Json.object(), finish == null ? "stop" : finish)));
      }
      case "message_stop" -> {
        arguments.endAll();
        complete = true;
        ModelUsage shown = usage != null && usageFinal ? usage : estimate != null ? estimate.apply(relayedText()) : usage;
        if (clientWantsUsage && shown != null) {
          ObjectNode last = envelope();
          last.putArray("choices");
          last.set("usage", Usages.toOpenAi(shown));
          out.event(null, Json.write(last));
        }
        done = true;
        out.event(null, OpenAiChunks.DONE);
      }
      default -> {} // ping, and events added to the protocol later
    }
  }

  private void blockStart(ObjectNode data, StreamSink out) throws IOException {
    if (!data.path("index").canConvertToInt() || data.path("index").asInt() < 0 || !blocks.add(data.path("index").asInt())) {
      throw Json.upstream("the provider's stream started a content block without a new index", false);
    }
    JsonNode block = data.path("content_block");
    String blockType = Json.text(block, "type");
    if ("text".equals(blockType)) {
      String text = Json.text(block, "text");
      if (text != null && !text.isEmpty()) {
        relay(text);
        out.event(null, Json.write(chunk(Json.object().put("content", text), null)));
      }
    } else if ("tool_use".equals(blockType)) {
      String name = Json.text(block, "name");
      if (name == null || name.isEmpty()) {
        throw Json.upstream("the provider's stream began a tool_use block without a name", false);
      }
      int index = toolCalls.size();
      toolCalls.put(data.path("index").asInt(), index);
      arguments.begin(data.path("index").asInt());
      // Anthropic starts a call with input {} and sends it in deltas; a provider that gives it
      // whole here (a proxy that does not stream it) has it go out here, as unstreamed it would.
      JsonNode input = block.get("input");
      String whole = input instanceof ObjectNode o && !o.isEmpty() ? Json.write(o) : "";
      if (!whole.isEmpty()) {
        arguments.add(data.path("index").asInt(), whole);
      }
      ObjectNode call = Json.object().put("index", index).put("id", Json.text(block, "id")).put("type", "function");
      call.putObject("function").put("name", Json.text(block, "name")).put("arguments", whole);
      ObjectNode delta = Json.object();
      delta.putArray("tool_calls").add(call);
      out.event(null, Json.write(chunk(delta, null)));
    } else if (blockType != null && blockType.endsWith("_tool_use")) {
      serverTools.add(data.path("index").asInt()); // a server tool's call (web search...): the provider runs it
    }
  }

  /**
   * A block ended. A call whose input never came (Claude streams a tool without parameters as
   * {@code {}} and one empty fragment) gets {@code "{}"}, as unstreamed: {@code ""} is not JSON,
   * and clients that parse the arguments failed on every call of such a tool.
   */
  private void blockStop(int block, StreamSink out) throws IOException {
    Integer index = toolCalls.get(block);
    if (index != null && arguments.isEmpty(block)) {
      arguments.add(block, "{}");
      out.event(null, Json.write(argumentsChunk(index, "{}")));
    }
    arguments.end(block);
  }

  private void blockDelta(ObjectNode data, StreamSink out) throws IOException {
    if (!blocks.contains(data.path("index").asInt(-1))) {
      throw Json.upstream("the provider's stream sent a delta for a block it never started", false);
    }
    JsonNode delta = data.path("delta");
    String deltaType = String.valueOf(Json.text(delta, "type"));
    if (deltaType.equals("text_delta")) {
      String text = Json.text(delta, "text");
      if (text != null && !text.isEmpty()) {
        out.event(null, Json.write(chunk(Json.object().put("content", text), null)));
      }
    } else if (deltaType.equals("input_json_delta")) {
      Integer index = toolCalls.get(data.path("index").asInt());
      String fragment = Json.text(delta, "partial_json");
      if (index == null && serverTools.contains(data.path("index").asInt())) {
        return; // a server tool's input: not a call the client makes (unstreamed, the block is left out)
      }
      if (index == null) {
        throw Json.upstream("the provider's stream sent tool input for a block that is not a tool_use", false);
      }
      if (fragment != null && !fragment.isEmpty()) {
        arguments.add(data.path("index").asInt(), fragment);
        out.event(null, Json.write(argumentsChunk(index, fragment)));
      }
    }
  }

  /** A chunk with a fragment of the arguments of call {@code index}. */
  private ObjectNode argumentsChunk(int index, String fragment) {
    ObjectNode call = Json.object().put("index", index);
    call.putObject("function").put("arguments", fragment);
    ObjectNode delta = Json.object();
    delta.putArray("tool_calls").add(call);
    return chunk(delta, null);
  }

  @Override
  public void finish(StreamSink out) throws IOException {
    if (!done) {
      done = true;
      out.event(null, OpenAiChunks.DONE);
    }
  }

  private ObjectNode envelope() {
    return Json.object().put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
  }

  private ObjectNode chunk(ObjectNode delta, String finishReason) {
    ObjectNode chunk = envelope();
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    return chunk;
  }
}
