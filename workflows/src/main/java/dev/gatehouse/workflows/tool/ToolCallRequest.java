package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Input of {@link ToolActivities#call}: which step calls which tool with which (already resolved)
 * arguments, on whose behalf. The tool's definition and the caller's permissions are looked up
 * when the activity runs, so a retried attempt uses the registry as it is then.
 *
 * @param storeOver when set (the agent loop sets it), a result whose content, as the model reads
 *     it ({@link ToolResults#text}), is longer than this many characters is stored in PostgreSQL
 *     under the task and its tenant, and the activity returns a {@link StoredResult} in its place,
 *     so the history does not carry it; null (pipelines, MCP calls, histories recorded before it
 *     existed): the result is returned whole
 */
public record ToolCallRequest(
    String stepId, String tool, JsonNode args, Caller caller, @JsonInclude(JsonInclude.Include.NON_NULL) Integer storeOver) {

  /** A call whose result is returned whole. */
  public ToolCallRequest(String stepId, String tool, JsonNode args, Caller caller) {
    this(stepId, tool, args, caller, null);
  }
}
