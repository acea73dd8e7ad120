package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;

/**
 * The arguments of the tool calls of a streamed answer, gathered as their fragments pass, so that
 * each call is checked when it ends as the answer that is not streamed is checked: its arguments
 * are a JSON object (or nothing). A stream relays fragments as they come, so a client has them
 * already; what the check adds is that the stream then ends with the provider's {@code
 * upstream_error} instead of ending well, as the same answer unstreamed is refused.
 */
final class StreamedToolArguments {
  /** The most one call's arguments may hold: an answer not streamed is read up to 8 MiB whole. */
  static final int MAX_CHARS = 8 * 1024 * 1024;

  private final Map<Integer, StringBuilder> calls = new HashMap<>();

  /** A call began under {@code key}. */
  void begin(int key) {
    calls.putIfAbsent(key, new StringBuilder());
  }

  /** A fragment of the arguments of the call under {@code key}. */
  void add(int key, String fragment) {
    StringBuilder sb = calls.computeIfAbsent(key, k -> new StringBuilder());
    if (sb.length() + fragment.length() > MAX_CHARS) {
      throw Json.upstream("the provider's stream sent tool call arguments over " + MAX_CHARS + " characters", false);
    }
    sb.append(fragment);
  }

  /** Whether the call under {@code key} is open and has had no arguments yet. */
  boolean isEmpty(int key) {
    StringBuilder sb = calls.get(key);
    return sb != null && sb.toString().isBlank();
  }

  /** The call under {@code key} ended: its arguments must be a JSON object or nothing. */
  void end(int key) {
    StringBuilder sb = calls.remove(key);
    if (sb == null || sb.toString().isBlank()) {
      return;
    }
    JsonNode args;
    try {
      args = Json.MAPPER.readTree(sb.toString());
    } catch (Exception e) {
      args = null;
    }
    if (args == null || !args.isObject()) {
      throw Json.upstream("the provider's stream sent tool call arguments that are not a JSON object", false);
    }
  }

  /** Every call still open ended (the answer did). */
  void endAll() {
    for (Integer key : Map.copyOf(calls).keySet()) {
      end(key);
    }
  }
}
