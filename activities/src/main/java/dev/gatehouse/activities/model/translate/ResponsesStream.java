package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.StreamSink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A chat-completions stream, as the invoker writes it for an OpenAI caller (chunks, the usage
 * chunk, {@code [DONE]}, or an error chunk), written as the events of OpenAI's Responses API:
 * {@code response.created} and {@code response.in_progress} when the stream opens; for the
 * reasoning some OpenAI-compatible providers stream ({@code reasoning_content} or {@code
 * reasoning}), a {@code reasoning} item ({@code response.reasoning_text.delta} per piece); for the
 * text, a {@code message} item ({@code response.output_item.added}, {@code
 * response.content_part.added}, {@code response.output_text.delta} per piece, then the {@code .done}
 * events); for each tool call a {@code function_call} item ({@code
 * response.function_call_arguments.delta} per fragment, its call found by its index, or by its id
 * and then the last call when the provider sends no index); an item
 * is done when one of another kind begins or the stream ends (calls stay open beside each other, as a
 * provider may interleave the fragments of parallel calls); then {@code response.completed} (or {@code
 * response.incomplete} at the output limit) with the whole response and its usage. An error chunk
 * (the provider failed after the answer began, or an answer policy blocked) becomes {@code
 * response.failed}, its {@code error} holding Gatehouse's stable code. Every event carries its
 * {@code sequence_number}. Used by the request's thread only.
 */
public final class ResponsesStream implements StreamSink {
  private final StreamSink out;
  private final ResponsesRequest.Translated asked;
  private final String id;
  private final long createdAt;
  private final List<Item> items = new ArrayList<>();
  /** Chat tool call index → its item. */
  private final Map<Integer, Item> calls = new HashMap<>();
  private Item open;
  /** Each call's chat index: its own, or one given when the provider sent none. */
  private final ToolCallIndexes indexes = new ToolCallIndexes();
  private long sequence;
  private String model;
  private String finish;
  private JsonNode usage;
  private boolean started;
  private boolean ended;

  /** What an output item is. */
  private enum Kind {
    REASONING,
    MESSAGE,
    CALL
  }

  /** An item of the output as it grows: reasoning (its text), a message (text, refusal) or a function call (arguments). */
  private static final class Item {
    final String id;
    final Kind kind;
    final String callId;
    /** A call's name: its first piece, and any the provider sent after (the done events and the response carry it whole). */
    String name;
    final StringBuilder text = new StringBuilder();
    final StringBuilder refusal = new StringBuilder();
    final StringBuilder arguments = new StringBuilder();
    final int index;
    /** The content index of the text part and of the refusal part; -1 until each begins. */
    int textPart = -1;
    int refusalPart = -1;
    boolean done;

    Item(String id, Kind kind, String callId, String name, int index) {
      this.id = id;
      this.kind = kind;
      this.callId = callId;
      this.name = name;
      this.index = index;
    }

    int parts() {
      return (textPart >= 0 ? 1 : 0) + (refusalPart >= 0 ? 1 : 0);
    }
  }

  /** A stream of the answer to {@code asked} (the Responses API request, translated), written to {@code out}. */
  public ResponsesStream(StreamSink out, ResponsesRequest.Translated asked, String id, long createdAt) {
    this.out = out;
    this.asked = asked;
    this.id = id;
    this.createdAt = createdAt;
  }

  @Override
  public void open() throws IOException {
    out.open();
  }

  @Override
  public void event(String name, String data) throws IOException {
    if (ended) {
      return;
    }
    if (OpenAiChunks.DONE.equals(data)) {
      complete();
      return;
    }
    JsonNode chunk = Json.parse(data);
    if (!(chunk instanceof ObjectNode)) {
      throw new IllegalArgumentException("not a chat chunk"); // the invoker writes only chunks
    }
    if (model == null) {
      model = Json.text(chunk, "model");
    }
    start();
    JsonNode error = chunk.get("error");
    if (error != null && !error.isNull()) {
      failed(error);
      return;
    }
    JsonNode reported = chunk.get("usage");
    if (reported != null && reported.isObject()) {
      usage = reported;
    }
    JsonNode choice = OpenAiChunks.firstChoice(chunk);
    JsonNode delta = choice.path("delta");
    String reasoning = ResponsesAnswer.reasoning(delta);
    if (reasoning != null && !reasoning.isEmpty()) {
      reasoning(reasoning);
    }
    String content = Json.text(delta, "content");
    if (content != null && !content.isEmpty()) {
      text(content);
    }
    String refusal = Json.text(delta, "refusal");
    if (refusal != null && !refusal.isEmpty()) {
      refusal(refusal);
    }
    for (JsonNode call : delta.path("tool_calls")) {
      toolCall(call);
    }
    String finishReason = Json.text(choice, "finish_reason");
    if (finishReason != null) {
      finish = finishReason;
    }
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

  /** {@code response.created} and {@code response.in_progress}, once, before anything else. */
  private void start() throws IOException {
    if (started) {
      return;
    }
    started = true;
    ObjectNode response = response();
    emit(Json.object().put("type", "response.created").set("response", response));
    emit(Json.object().put("type", "response.in_progress").set("response", response));
  }

  private void reasoning(String piece) throws IOException {
    Item item = open != null && open.kind == Kind.REASONING ? open : null;
    if (item == null) {
      item = begin(new Item(ResponsesAnswer.newId("rs_"), Kind.REASONING, null, null, items.size()));
      emit(Json.object().put("type", "response.output_item.added").put("output_index", item.index).set("item", whole(item, "in_progress")));
      item.textPart = 0;
      emit(part("response.content_part.added", item, 0).set("part", ResponsesAnswer.reasoningPart("")));
    }
    item.text.append(piece);
    emit(part("response.reasoning_text.delta", item, 0).put("delta", piece));
  }

  private void text(String piece) throws IOException {
    Item item = message();
    if (item.textPart < 0) {
      item.textPart = item.parts();
      emit(part("response.content_part.added", item, item.textPart).set("part", ResponsesAnswer.textPart("")));
    }
    item.text.append(piece);
    ObjectNode event = part("response.output_text.delta", item, item.textPart).put("delta", piece);
    event.putArray("logprobs");
    emit(event);
  }

  private void refusal(String piece) throws IOException {
    Item item = message();
    if (item.refusalPart < 0) {
      item.refusalPart = item.parts();
      emit(part("response.content_part.added", item, item.refusalPart).set("part", ResponsesAnswer.refusalPart("")));
    }
    item.refusal.append(piece);
    emit(part("response.refusal.delta", item, item.refusalPart).put("delta", piece));
  }

  /** The message item being written, begun now if the last item is not one. */
  private Item message() throws IOException {
    if (open != null && open.kind == Kind.MESSAGE) {
      return open;
    }
    Item item = begin(new Item(ResponsesAnswer.newId("msg_"), Kind.MESSAGE, null, null, items.size()));
    emit(Json.object().put("type", "response.output_item.added").put("output_index", item.index).set("item", whole(item, "in_progress")));
    return item;
  }

  /** The longest a call's name may grow by the pieces that follow its first. */
  private static final int MAX_NAME_CHARS = 1024;

  private void toolCall(JsonNode call) throws IOException {
    if (ended) {
      return;
    }
    // A provider that leaves out the index (some compatible servers do): see ToolCallIndexes.
    int index = indexes.of(call);
    Item item = calls.get(index);
    if (item == null) {
      String callId = Json.text(call, "id");
      String name = Json.text(call.path("function"), "name");
      if (name == null || name.isEmpty()) {
        // A call is announced with its name, which the provider gives in its first fragment (one
        // that gave it later had the call named "null"); as on the Anthropic face, the provider's error.
        failed(Json.object().put("code", "upstream_error").put("message", "the provider's stream began a tool call without a name"));
        return;
      }
      item = begin(new Item(ResponsesAnswer.newId("fc_"), Kind.CALL, callId == null ? ResponsesAnswer.newId("call_") : callId, name, items.size()));
      calls.put(index, item);
      emit(Json.object()
          .put("type", "response.output_item.added")
          .put("output_index", item.index)
          .set("item", ResponsesAnswer.functionCall(asked, item.id, item.callId, item.name, "", "in_progress")));
    } else {
      String more = Json.text(call.path("function"), "name");
      if (more != null && !more.isEmpty() && !item.done && item.name.length() + more.length() <= MAX_NAME_CHARS) {
        item.name += more; // a name the provider cut in pieces
      }
    }
    String fragment = Json.text(call.path("function"), "arguments");
    if (fragment != null && !fragment.isEmpty() && !item.done) {
      item.arguments.append(fragment);
      emit(Json.object()
          .put("type", "response.function_call_arguments.delta")
          .put("item_id", item.id)
          .put("output_index", item.index)
          .put("delta", fragment));
    }
  }

  /**
   * {@code item} is the one being written now; those before it are done, but for calls when it is
   * a call too (a provider may interleave the fragments of parallel calls): they are done when an
   * item of another kind begins, or the stream ends.
   */
  private Item begin(Item item) throws IOException {
    for (Item earlier : items) {
      if (item.kind != Kind.CALL || earlier.kind != Kind.CALL) {
        done(earlier, "completed");
      }
    }
    items.add(item);
    open = item;
    return item;
  }

  /** The {@code .done} events of {@code item}. */
  private void done(Item item, String status) throws IOException {
    if (item.done) {
      return;
    }
    item.done = true;
    if (item.kind == Kind.REASONING) {
      emit(part("response.reasoning_text.done", item, 0).put("text", item.text.toString()));
      emit(part("response.content_part.done", item, 0).set("part", ResponsesAnswer.reasoningPart(item.text.toString())));
    } else if (item.kind == Kind.MESSAGE) {
      for (int index = 0; index < item.parts(); index++) {
        if (index == item.textPart) {
          ObjectNode textDone = part("response.output_text.done", item, index).put("text", item.text.toString());
          textDone.putArray("logprobs");
          emit(textDone);
          emit(part("response.content_part.done", item, index).set("part", ResponsesAnswer.textPart(item.text.toString())));
        } else {
          emit(part("response.refusal.done", item, index).put("refusal", item.refusal.toString()));
          emit(part("response.content_part.done", item, index).set("part", ResponsesAnswer.refusalPart(item.refusal.toString())));
        }
      }
    }
    ObjectNode whole = whole(item, status);
    if (item.kind == Kind.CALL) {
      emit(Json.object()
          .put("type", "response.function_call_arguments.done")
          .put("item_id", item.id)
          .put("output_index", item.index)
          .put("name", whole.get("name").textValue())
          .put("arguments", item.arguments.toString()));
    }
    emit(Json.object().put("type", "response.output_item.done").put("output_index", item.index).set("item", whole));
  }

  /** The stream ended well ({@code [DONE]}): every item done, then the whole response. */
  private void complete() throws IOException {
    start();
    String status = ResponsesAnswer.incompleteReason(finish) == null ? "completed" : "incomplete";
    for (Item item : items) {
      done(item, status);
    }
    ObjectNode response = response();
    ResponsesAnswer.end(response, finish, Usages.fromOpenAi(usage));
    ended = true;
    emit(Json.object().put("type", "completed".equals(status) ? "response.completed" : "response.incomplete").set("response", response));
  }

  /** The stream failed after it began: {@code response.failed}, with what was written so far. */
  private void failed(JsonNode error) throws IOException {
    ObjectNode response = response();
    response.put("status", "failed");
    ObjectNode failure = response.putObject("error");
    failure.put("code", Json.text(error, "code") != null ? Json.text(error, "code") : "upstream_error");
    failure.put("message", String.valueOf(Json.text(error, "message")));
    ended = true;
    emit(Json.object().put("type", "response.failed").set("response", response));
  }

  /** The response as it stands: the envelope and the items so far. */
  private ObjectNode response() {
    ObjectNode response = ResponsesAnswer.envelope(asked.request(), id, createdAt, model);
    ArrayNode output = response.putArray("output");
    for (Item item : items) {
      output.add(whole(item, item.done ? "completed" : "in_progress"));
    }
    return response;
  }

  private ObjectNode whole(Item item, String status) {
    return switch (item.kind) {
      case CALL -> ResponsesAnswer.functionCall(asked, item.id, item.callId, item.name, item.arguments.toString(), status);
      case REASONING -> ResponsesAnswer.reasoningItem(item.id, item.textPart < 0 ? null : item.text.toString(), status);
      case MESSAGE -> {
        ObjectNode message = ResponsesAnswer.messageItem(item.id, status);
        ArrayNode content = message.putArray("content");
        for (int index = 0; index < item.parts(); index++) {
          content.add(index == item.textPart ? ResponsesAnswer.textPart(item.text.toString()) : ResponsesAnswer.refusalPart(item.refusal.toString()));
        }
        yield message;
      }
    };
  }

  private static ObjectNode part(String type, Item item, int contentIndex) {
    return Json.object().put("type", type).put("item_id", item.id).put("output_index", item.index).put("content_index", contentIndex);
  }

  /** One event: its {@code type} as the SSE event name, and its sequence number. */
  private void emit(ObjectNode event) throws IOException {
    event.put("sequence_number", sequence++);
    out.event(event.get("type").textValue(), Json.write(event));
  }
}
