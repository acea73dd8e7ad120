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
  /** Where each call's arguments stand as JSON text, read as they pass ({@link #whole}). */
  private final Map<Integer, Reading> readings = new HashMap<>();

  /**
   * How far a JSON text has been read: how deep in objects and arrays, and whether inside a string
   * (after a backslash); {@code opened} once its first character (past white space) was a brace.
   */
  private static final class Reading {
    int depth;
    boolean opened;
    boolean other;
    boolean inString;
    boolean escaped;

    void read(String fragment) {
      for (int i = 0; i < fragment.length(); i++) {
        char c = fragment.charAt(i);
        if (inString) {
          if (escaped) {
            escaped = false;
          } else if (c == '\\') {
            escaped = true;
          } else if (c == '"') {
            inString = false;
          }
        } else if (c == '"') {
          inString = true;
        } else if (c == '{' || c == '[') {
          if (depth == 0 && !opened && !other) {
            opened = c == '{';
            other = c != '{';
          }
          depth++;
        } else if (c == '}' || c == ']') {
          depth--;
        } else if (depth == 0 && !opened && !Character.isWhitespace(c)) {
          other = true;
        }
      }
    }
  }

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
    readings.computeIfAbsent(key, k -> new Reading()).read(fragment);
  }

  /**
   * Whether the arguments of the open call under {@code key} so far are one whole JSON object (its
   * closing brace came): more of them could only break it, so a call that is whole has ended. Read
   * as the fragments pass, so asking costs nothing.
   */
  boolean whole(int key) {
    Reading r = readings.get(key);
    return r != null && r.opened && !r.other && r.depth == 0 && !r.inString;
  }

  /** Whether the call under {@code key} is open and has had no arguments yet. */
  boolean isEmpty(int key) {
    StringBuilder sb = calls.get(key);
    return sb != null && sb.toString().isBlank();
  }

  /** The call under {@code key} ended: its arguments must be a JSON object or nothing. */
  void end(int key) {
    readings.remove(key);
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
