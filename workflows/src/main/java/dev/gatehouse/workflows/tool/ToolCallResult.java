package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Output of {@link ToolActivities#call}: the upstream's status and its body (JSON, or a string),
 * and the progress the upstream reported during the call (null when none was asked for), so the
 * front end waiting for a durable call can relay what it has not relayed yet. When the request
 * asked for large results to be stored ({@link ToolCallRequest#storeOver()}) and this one was,
 * {@code output} is null and {@code stored} names it. {@code policies}: what policy entries did to
 * the call without refusing it ({@code pii-mask@2 redacted EMAIL×1 in tool-results}), as counts
 * and kinds, never the values; null when none did (and in histories written before it existed).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolCallResult(int status, JsonNode output, List<ToolProgress> progress, StoredResult stored, List<String> policies) {
  /**
   * The deepest an output may nest: a tool's answer nested deeper fails its call ({@code
   * response_too_large}), so the output still fits, with what holds it (the activity's result, a
   * pipeline's outputs, a task's view and trace), in the 1,000 levels JSON is written with.
   */
  public static final int MAX_OUTPUT_DEPTH = 500;

  /** At most this many progress reports are kept (the latest), to bound the history. */
  public static final int MAX_PROGRESS = 100;

  /**
   * At most this many characters of progress messages are kept in all (the latest reports that
   * fit), each message being at most {@link ToolProgress#MAX_MESSAGE_CHARS}: with {@link
   * #MAX_PROGRESS}, what an upstream's progress adds to the activity's result stays far below the
   * workflow engine's payload limit.
   */
  public static final int MAX_PROGRESS_CHARS = 32 * 1024;

  public ToolCallResult(int status, JsonNode output) {
    this(status, output, null, null, null);
  }

  public ToolCallResult(int status, JsonNode output, List<ToolProgress> progress) {
    this(status, output, progress, null, null);
  }

  public ToolCallResult(int status, JsonNode output, List<ToolProgress> progress, StoredResult stored) {
    this(status, output, progress, stored, null);
  }

  /** This result with its output stored: {@code stored} in place of the output. */
  public ToolCallResult storedAs(StoredResult ref) {
    return new ToolCallResult(status, null, progress, ref, policies);
  }

  /** This result with {@code output} in place of its own (a policy redacted it). */
  public ToolCallResult withOutput(JsonNode output) {
    return new ToolCallResult(status, output, progress, stored, policies);
  }

  /** This result with {@code progress} as the progress reports it kept. */
  public ToolCallResult withProgress(List<ToolProgress> progress) {
    return new ToolCallResult(status, output, progress, stored, policies);
  }

  /** This result with the notes of the policy entries that decided something about the call (null or empty: none). */
  public ToolCallResult withPolicies(List<String> notes) {
    return new ToolCallResult(status, output, progress, stored, notes == null || notes.isEmpty() ? null : List.copyOf(notes));
  }
}
