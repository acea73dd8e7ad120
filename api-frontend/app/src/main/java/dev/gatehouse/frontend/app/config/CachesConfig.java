package dev.gatehouse.frontend.app.config;

import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotNull;

/**
 * How long Gatehouse keeps what it read from PostgreSQL before reading it again. Shorter means a
 * change made through another replica shows sooner; longer means fewer reads per request. Changes
 * made through this replica's admin API clear the credential cache at once.
 */
public class CachesConfig {
  /** An authenticated credential (agent key, admin key, OIDC token) and its agent. */
  @NotNull private Duration credentials = Duration.seconds(5);

  /** HTTP tool definitions, read on every submit, step and tool call. */
  @NotNull private Duration tools = Duration.seconds(2);

  /** The discovered catalog of the upstream MCP servers (tools, resources, prompts). */
  @NotNull private Duration mcpCatalog = Duration.seconds(2);

  public Duration getCredentials() {
    return credentials;
  }

  public void setCredentials(Duration credentials) {
    this.credentials = credentials;
  }

  public Duration getTools() {
    return tools;
  }

  public void setTools(Duration tools) {
    this.tools = tools;
  }

  public Duration getMcpCatalog() {
    return mcpCatalog;
  }

  public void setMcpCatalog(Duration mcpCatalog) {
    this.mcpCatalog = mcpCatalog;
  }
}
