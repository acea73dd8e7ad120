package dev.gatehouse.frontend.app.config;

import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.NotNull;
import java.util.concurrent.TimeUnit;

/**
 * How long Gatehouse keeps what it read from PostgreSQL: nothing is used past its TTL, and an
 * entry in use is read again by one request after three quarters of it while the others keep using
 * it. Shorter means a change made through another replica shows sooner; longer means fewer reads
 * per request. Changes made through this replica's admin API clear the credential cache at once.
 */
public class CachesConfig {
  /** An authenticated credential (agent key, admin key, OIDC token) and its agent. */
  @NotNull private Duration credentials = Duration.seconds(5);

  /** An identity provider's signing keys (JWKS); a token signed by an unknown key refetches them sooner. */
  @NotNull
  @MinDuration(value = 1, unit = TimeUnit.MINUTES) // longer than the 30 s between forced refetches
  private Duration jwks = Duration.minutes(15);

  /** HTTP tool definitions, read on every submit, step and tool call. */
  @NotNull private Duration tools = Duration.seconds(2);

  /** The discovered catalog of the upstream MCP servers (tools, resources, prompts). */
  @NotNull private Duration mcpCatalog = Duration.seconds(2);

  /** Policy entries (rate limits, budgets, PII, guardrails), read per tenant on every governed call. */
  @NotNull private Duration policies = Duration.seconds(2);

  public Duration getPolicies() {
    return policies;
  }

  public void setPolicies(Duration policies) {
    this.policies = policies;
  }

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

  public Duration getJwks() {
    return jwks;
  }

  public void setJwks(Duration jwks) {
    this.jwks = jwks;
  }
}
