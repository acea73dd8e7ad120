package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/** The MCP face ({@code /mcp}) and Gatehouse's connections to upstream MCP servers. */
public class McpConfig {
  /**
   * Host names (without port) that {@code Host} may carry, and origins ({@code scheme://host[:port]})
   * that {@code Origin} may carry: the DNS-rebinding protection of the MCP transport spec. A
   * browser origin not listed is refused; requests without {@code Origin} (programs) pass.
   */
  @NotNull private List<String> allowedHosts = List.of("localhost", "127.0.0.1", "[::1]");

  @NotNull private List<String> allowedOrigins = List.of();

  /**
   * The address agents use to reach Gatehouse (e.g. {@code https://gatehouse.example.com}), for
   * the protected-resource metadata and {@code WWW-Authenticate}; unset: the address a request
   * arrived at on this server (its own IP and port), never the request's {@code Host}.
   */
  private String publicUrl;

  /** A session with no request (and no open stream) for this long is closed, upstream sessions too. */
  @NotNull private Duration sessionIdleTimeout = Duration.minutes(30);

  /** Open sessions one replica keeps; past it {@code initialize} is refused with 429 {@code overloaded}. */
  @jakarta.validation.constraints.Min(1)
  private int maxSessions = 5000;

  /**
   * Open sessions one agent keeps on one replica; past it its {@code initialize} is refused with
   * 429 {@code overloaded}, so one agent (one key) cannot take every session of the replica from
   * the others.
   */
  @jakarta.validation.constraints.Min(1)
  private int maxSessionsPerAgent = 500;

  /**
   * Open sessions one tenant's agents keep together on one replica: a tenant admin may make any
   * number of agents, so without it one tenant could take every session of the replica.
   */
  private int maxSessionsPerTenant = 2500;

  /**
   * Sessions with upstream MCP servers that agents' sessions hold open on one replica (each agent
   * session opens its own with every HTTP server it uses); past it a call that would open another is
   * refused with 429 {@code overloaded}.
   */
  @jakarta.validation.constraints.Min(1)
  private int maxUpstreamSessions = 10000;

  /** As {@link #maxUpstreamSessions}, for one tenant's agents together. */
  @jakarta.validation.constraints.Min(1)
  private int maxUpstreamSessionsPerTenant = 2500;

  @JsonProperty
  public int getMaxUpstreamSessions() {
    return maxUpstreamSessions;
  }

  @JsonProperty
  public void setMaxUpstreamSessions(int n) {
    this.maxUpstreamSessions = n;
  }

  @JsonProperty
  public int getMaxUpstreamSessionsPerTenant() {
    return maxUpstreamSessionsPerTenant;
  }

  @JsonProperty
  public void setMaxUpstreamSessionsPerTenant(int n) {
    this.maxUpstreamSessionsPerTenant = n;
  }

  @JsonProperty
  public int getMaxSessionsPerTenant() {
    return maxSessionsPerTenant;
  }

  @JsonProperty
  public void setMaxSessionsPerTenant(int n) {
    this.maxSessionsPerTenant = n;
  }

  @JsonProperty
  public int getMaxSessionsPerAgent() {
    return maxSessionsPerAgent;
  }

  @JsonProperty
  public void setMaxSessionsPerAgent(int n) {
    this.maxSessionsPerAgent = n;
  }

  @JsonProperty
  public int getMaxSessions() {
    return maxSessions;
  }

  @JsonProperty
  public void setMaxSessions(int n) {
    this.maxSessions = n;
  }

  /** How often every upstream server's lists are fetched again (list_changed also triggers it). */
  @NotNull private Duration refreshInterval = Duration.minutes(5);

  /** How often upstream servers are pinged (and those that are down retried, with backoff). */
  @NotNull private Duration healthInterval = Duration.seconds(15);

  /** How often open sessions are checked for a changed tool list (permissions, catalog). */
  @NotNull private Duration listChangedInterval = Duration.seconds(2);

  /** Longest a durable MCP tool call keeps the request waiting for its workflow. */
  @NotNull private Duration maxDurableWait = Duration.minutes(10);

  /** How often a durable call's progress is read while the agent waits (when it asked for progress). */
  @NotNull private Duration progressPollInterval = Duration.milliseconds(250);

  /** How often an idle SSE stream to an agent carries a keep-alive ping. */
  @NotNull private Duration keepAliveInterval = Duration.seconds(15);

  /** Longest Gatehouse waits for an agent's answer to a request it relayed (sampling, elicitation, roots). */
  @NotNull private Duration agentRequestTimeout = Duration.minutes(10);

  /**
   * How often an open agent session checks that the credentials its upstream sessions were opened
   * with are still current (a secret's new value, an OAuth token renewed before it expires); when
   * they are not, the next call opens a new upstream session with the new ones.
   */
  @NotNull private Duration upstreamCredentialsCheck = Duration.seconds(30);

  @JsonProperty
  public List<String> getAllowedHosts() {
    return allowedHosts;
  }

  @JsonProperty
  public void setAllowedHosts(List<String> v) {
    this.allowedHosts = v;
  }

  @JsonProperty
  public List<String> getAllowedOrigins() {
    return allowedOrigins;
  }

  @JsonProperty
  public void setAllowedOrigins(List<String> v) {
    this.allowedOrigins = v;
  }

  @JsonProperty
  public String getPublicUrl() {
    return publicUrl;
  }

  @JsonProperty
  public void setPublicUrl(String v) {
    this.publicUrl = v;
  }

  @JsonProperty
  public Duration getSessionIdleTimeout() {
    return sessionIdleTimeout;
  }

  @JsonProperty
  public void setSessionIdleTimeout(Duration v) {
    this.sessionIdleTimeout = v;
  }

  @JsonProperty
  public Duration getRefreshInterval() {
    return refreshInterval;
  }

  @JsonProperty
  public void setRefreshInterval(Duration v) {
    this.refreshInterval = v;
  }

  @JsonProperty
  public Duration getHealthInterval() {
    return healthInterval;
  }

  @JsonProperty
  public void setHealthInterval(Duration v) {
    this.healthInterval = v;
  }

  @JsonProperty
  public Duration getListChangedInterval() {
    return listChangedInterval;
  }

  @JsonProperty
  public void setListChangedInterval(Duration v) {
    this.listChangedInterval = v;
  }

  @JsonProperty
  public Duration getMaxDurableWait() {
    return maxDurableWait;
  }

  @JsonProperty
  public void setMaxDurableWait(Duration v) {
    this.maxDurableWait = v;
  }

  @JsonProperty
  public Duration getProgressPollInterval() {
    return progressPollInterval;
  }

  @JsonProperty
  public void setProgressPollInterval(Duration v) {
    this.progressPollInterval = v;
  }

  @JsonProperty
  public Duration getKeepAliveInterval() {
    return keepAliveInterval;
  }

  @JsonProperty
  public void setKeepAliveInterval(Duration v) {
    this.keepAliveInterval = v;
  }

  @JsonProperty
  public Duration getAgentRequestTimeout() {
    return agentRequestTimeout;
  }

  @JsonProperty
  public void setAgentRequestTimeout(Duration v) {
    this.agentRequestTimeout = v;
  }

  @JsonProperty
  public Duration getUpstreamCredentialsCheck() {
    return upstreamCredentialsCheck;
  }

  @JsonProperty
  public void setUpstreamCredentialsCheck(Duration v) {
    this.upstreamCredentialsCheck = v;
  }
}
