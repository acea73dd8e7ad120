package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Output of {@link ToolActivities#call}: the upstream's status and its body (JSON, or a string),
 * and the progress the upstream reported during the call (null when none was asked for), so the
 * front end waiting for a durable call can relay what it has not relayed yet. When the request
 * asked for large results to be stored ({@link ToolCallRequest#storeOver()}) and this one was,
 * {@code output} is null and {@code stored} names it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolCallResult(int status, JsonNode output, List<ToolProgress> progress, StoredResult stored) {
  /** At most this many progress reports are kept (the latest), to bound the history. */
  public static final int MAX_PROGRESS = 100;

  public ToolCallResult(int status, JsonNode output) {
    this(status, output, null, null);
  }

  public ToolCallResult(int status, JsonNode output, List<ToolProgress> progress) {
    this(status, output, progress, null);
  }

  /** This result with its output stored: {@code stored} in place of the output. */
  public ToolCallResult storedAs(StoredResult ref) {
    return new ToolCallResult(status, null, progress, ref);
  }
}
