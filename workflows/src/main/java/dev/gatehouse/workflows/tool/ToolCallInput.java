package dev.gatehouse.workflows.tool;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Input of {@link ToolCallWorkflow}: the tool (its gateway name), the arguments, on whose behalf,
 * and the timeout and retry policy the registry gave the tool when the call was started.
 */
public record ToolCallInput(String tool, JsonNode args, Caller caller, ToolCallPolicy policy) {}
