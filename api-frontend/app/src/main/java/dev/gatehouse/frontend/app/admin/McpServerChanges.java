package dev.gatehouse.frontend.app.admin;

/**
 * Told the name of an MCP server after a change to it over the admin API has committed (created,
 * replaced, deleted) or a refresh was asked for, so the runtime can reconnect and rediscover it.
 * It runs on the request thread: an implementation should hand the work off and return quickly.
 */
@FunctionalInterface
public interface McpServerChanges {
  void changed(String serverName);
}
