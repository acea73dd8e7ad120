package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The text of a tool's result and how Gatehouse cuts it: pure functions, the same in workflow
 * code (the agent loop) and in the activities that store and read results back.
 */
public final class ToolResults {
  /**
   * The most characters of one result Gatehouse stores outside the history; a longer result is
   * stored cut, with {@link #cut}'s note.
   */
  public static final int MAX_STORED_CHARS = 256 * 1024;
  /** The most characters of a stored result the history keeps as its preview. */
  public static final int PREVIEW_CHARS = 1024;

  private ToolResults() {}

  /** A result's content as a model reads it: its text, or its JSON as text ("" for none). */
  public static String text(JsonNode output) {
    return output == null || output.isNull() ? "" : output.isTextual() ? output.textValue() : output.toString();
  }

  /** {@code text}, or when it is longer than {@code max}, its start and a note saying it was cut. */
  public static String cut(String text, int max) {
    return cut(text, max, text.length());
  }

  /**
   * The first {@code max} characters of a result of {@code chars} characters whose start is
   * {@code start} (at least {@code min(max, chars)} characters of it), with a note when the
   * result was longer; {@code start} whole when the result was not.
   */
  public static String cut(String start, int max, int chars) {
    if (chars <= max) {
      return start.length() <= chars ? start : start.substring(0, end(start, chars));
    }
    return start.substring(0, end(start, Math.min(max, start.length())))
        + "\n[gatehouse: the result was cut at " + max + " of its " + chars + " characters]";
  }

  /** The first {@link #PREVIEW_CHARS} characters of {@code text}. */
  public static String preview(String text) {
    return text.length() <= PREVIEW_CHARS ? text : text.substring(0, end(text, PREVIEW_CHARS));
  }

  /** {@code n}, or {@code n - 1} when that would split a surrogate pair (so no cut leaves half a character). */
  static int end(String text, int n) {
    return n > 0 && n < text.length() && Character.isHighSurrogate(text.charAt(n - 1)) && Character.isLowSurrogate(text.charAt(n)) ? n - 1 : n;
  }
}
