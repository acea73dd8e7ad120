package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Output of {@link ToolActivities#call}: the upstream's status and its body (JSON, or a string),
 * and the progress the upstream reported during the call (null when none was asked for), so the
 * front end waiting for a durable call can relay what it has not relayed yet.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolCallResult(int status, JsonNode output, List<ToolProgress> progress) {
  /** At most this many progress reports are kept (the latest), to bound the history. */
  public static final int MAX_PROGRESS = 100;

  public ToolCallResult(int status, JsonNode output) {
    this(status, output, null);
  }
}
