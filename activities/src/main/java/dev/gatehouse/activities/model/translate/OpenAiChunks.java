package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.sse.SseEvent;

/** Reading OpenAI's stream: its end marker and its mid-stream error chunk. */
final class OpenAiChunks {
  static final String DONE = "[DONE]";

  private OpenAiChunks() {}

  static boolean isDone(SseEvent event) {
    return DONE.equals(event.data().strip());
  }

  /** A chunk {@code {"error":{...}}} ends the stream: thrown as {@code upstream_error}. */
  static void checkError(ObjectNode chunk) {
    if (chunk.hasNonNull("error")) {
      throw StreamTap.upstreamFailed(chunk.get("error"));
    }
  }
}
