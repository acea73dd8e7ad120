package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.databind.JsonNode;

/** Output of {@link ToolActivities#call}: the upstream's status and its body (JSON, or a string). */
public record ToolCallResult(int status, JsonNode output) {}
