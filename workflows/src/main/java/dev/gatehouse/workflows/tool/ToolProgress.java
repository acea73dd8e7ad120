package dev.gatehouse.workflows.tool;

/**
 * The latest progress an upstream reported during a {@code Tool.Call}: the activity's heartbeat
 * details, read by the front end that waits for the call (and relayed to an MCP agent).
 */
public record ToolProgress(double progress, Double total, String message) {}
