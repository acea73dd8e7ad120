package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Input of {@link ToolActivities#call}: which step of which task calls which tool with which
 * (already resolved) arguments. The tool's definition is looked up when the activity runs, so a
 * retried attempt uses the registry as it is then.
 */
public record ToolCallRequest(String stepId, String tool, JsonNode args) {}
