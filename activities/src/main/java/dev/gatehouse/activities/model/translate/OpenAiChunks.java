package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.sse.SseEvent;

/** Reading OpenAI's stream: its end marker, its mid-stream error chunk, its first choice. */
final class OpenAiChunks {
  static final String DONE = "[DONE]";

  private OpenAiChunks() {}

  static boolean isDone(SseEvent event) {
    return DONE.equals(event.data().strip());
  }

  /**
   * The chunk's part of the answer's first choice: the choice whose {@code index} is 0 (a first
   * element without an index counts as 0), wherever it stands; a missing node when the chunk has
   * none. The translations answer one choice, and a provider may send others, unasked.
   */
  static JsonNode firstChoice(JsonNode chunk) {
    JsonNode choices = chunk.path("choices");
    if (choices.isArray()) {
      int position = 0;
      for (JsonNode c : choices) {
        JsonNode index = c.get("index");
        if (index == null ? position == 0 : index.isIntegralNumber() && index.canConvertToInt() && index.intValue() == 0) {
          return c;
        }
        position++;
      }
    }
    return MissingNode.getInstance();
  }

  /** A chunk {@code {"error":{...}}} ends the stream: thrown as {@code upstream_error}. */
  static void checkError(ObjectNode chunk) {
    if (chunk.hasNonNull("error")) {
      throw StreamTap.upstreamFailed(chunk.get("error"));
    }
  }
}
