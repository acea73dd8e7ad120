package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;

/**
 * OpenAI to OpenAI: each chunk goes on exactly as the provider sent it, but for the usage-only
 * chunk (no choices, a usage) that Gatehouse asked for, which is dropped when the caller did not
 * ask for it.
 */
final class OpenAiPassThroughStream extends StreamTap {
  private final boolean clientWantsUsage;
  private boolean finishSeen;
  private boolean done;

  OpenAiPassThroughStream(boolean clientWantsUsage) {
    super(Dialect.OPENAI);
    this.clientWantsUsage = clientWantsUsage;
  }

  @Override
  public void accept(SseEvent upstream, StreamSink out) throws IOException {
    if (done) {
      return;
    }
    if (OpenAiChunks.isDone(upstream)) {
      done = true;
      complete = true;
      out.event(null, OpenAiChunks.DONE);
      return;
    }
    ObjectNode chunk = parse(upstream);
    OpenAiChunks.checkError(chunk);
    ModelUsage reported = Usages.fromOpenAi(chunk.get("usage"));
    if (reported != null) {
      usage = reported;
    }
    JsonNode choices = chunk.path("choices");
    for (JsonNode choice : choices) {
      JsonNode delta = choice.path("delta");
      relay(Json.text(delta, "content"));
      relay(Json.text(delta, "refusal"));
      for (JsonNode call : delta.path("tool_calls")) {
        relay(Json.text(call.path("function"), "arguments"));
      }
      finishSeen |= choice.hasNonNull("finish_reason");
    }
    complete = finishSeen && usage != null;
    if (reported != null && choices.isArray() && choices.isEmpty() && !clientWantsUsage) {
      return; // the usage chunk Gatehouse asked for, not the caller
    }
    out.event(null, upstream.data());
  }

  @Override
  public void finish(StreamSink out) throws IOException {
    if (!done) {
      done = true;
      out.event(null, OpenAiChunks.DONE);
    }
  }
}
