package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Input of {@link ToolActivities#call}: which step calls which tool with which (already resolved)
 * arguments, on whose behalf. The tool's definition and the caller's permissions are looked up
 * when the activity runs, so a retried attempt uses the registry as it is then.
 */
public record ToolCallRequest(String stepId, String tool, JsonNode args, Caller caller) {}
