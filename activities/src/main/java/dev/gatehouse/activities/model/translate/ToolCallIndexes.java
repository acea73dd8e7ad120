package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The index of each streamed tool call of one choice, as the OpenAI SDKs read it: the call's own,
 * or, for a fragment without one (Gemini's and older Ollama's OpenAI-compatible endpoints send
 * none), the next index when the fragment carries an {@code id} other than the last call's, and
 * the last call's when it does not (a fragment continuing it). An index that is not a whole
 * number from 0 to {@link Integer#MAX_VALUE} counts as none.
 */
final class ToolCallIndexes {
  /** One past the highest index given or seen. */
  private int next;
  /** The index of the call the last fragment went to, and that call's id; -1 and null before any. */
  private int last = -1;
  private String lastId;

  /** {@code call}'s index: its {@code index}, or one given as above. */
  int of(JsonNode call) {
    return of(given(call.get("index")), Json.text(call, "id"));
  }

  /** The index of a fragment whose own is {@code given} (-1: none) and whose id is {@code id} (null: none). */
  int of(int given, String id) {
    int index;
    if (given >= 0) {
      index = given;
    } else if (last < 0 || (id != null && !id.equals(lastId))) {
      index = next;
    } else {
      index = last;
    }
    if (index != last) {
      lastId = null;
    }
    if (id != null) {
      lastId = id;
    }
    last = index;
    if (index >= next && index < Integer.MAX_VALUE) {
      next = index + 1;
    }
    return index;
  }

  /** A fragment's own index: a whole number from 0 to {@link Integer#MAX_VALUE}, else -1. */
  static int given(JsonNode index) {
    return index != null && index.isIntegralNumber() && index.canConvertToInt() && index.intValue() >= 0 ? index.intValue() : -1;
  }
}
