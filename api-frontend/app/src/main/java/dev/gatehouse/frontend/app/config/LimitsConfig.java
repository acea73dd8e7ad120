package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotNull;

/** Size and time limits that protect the gateway and the workflow histories. */
public class LimitsConfig {
  /** Largest request body accepted; larger ones get 413 and start nothing. */
  @NotNull private DataSize maxRequestBody = DataSize.kibibytes(512);

  /**
   * The slowest a request body may arrive, per second of waiting for it (after the first two
   * seconds of waiting): a client that trickles a body is cut off with 408 rather than holding a
   * request thread. 0 turns it off. Applies to every request on the application port
   * ({@code SlowBodyFilter}).
   */
  @NotNull private DataSize minRequestBodyRate = DataSize.kibibytes(1);

  /**
   * The slowest a client may read its answer, per second that writes waited for it (after the
   * first two seconds of waiting): a client that takes a few bytes within each idle timeout has its
   * connection closed rather than holding the thread writing to it. 0 turns it off. Applies to
   * every request of both ports ({@code SlowReaders}).
   */
  @NotNull private DataSize minResponseRate = DataSize.kibibytes(1);

  /**
   * The most connections the application port holds at once; at the limit it stops accepting
   * until one closes, and idle connections are closed after {@link #idleTimeoutAtConnectionLimit}.
   * 0: half the open files the process may have ({@code ConnectionLimits}).
   */
  @jakarta.validation.constraints.Min(0)
  private int maxConnections = 0;

  /** The most connections one client address may hold on the application port; 0: no such limit (behind a proxy every client has its address). */
  @jakarta.validation.constraints.Min(0)
  private int maxConnectionsPerAddress = 0;

  /** How long a connection may be idle while the application port is at {@link #maxConnections}. */
  @NotNull
  @io.dropwizard.validation.MinDuration(value = 100, unit = java.util.concurrent.TimeUnit.MILLISECONDS)
  private Duration idleTimeoutAtConnectionLimit = Duration.seconds(5);

  /** Largest tool answer stored as a step output; a larger one fails the step (not retried). */
  @NotNull private DataSize maxToolResponse = DataSize.kibibytes(256);

  /** Longest {@code ?wait=} a client may ask for on {@code GET /v1/tasks/{id}}. */
  @NotNull private Duration maxWait = Duration.seconds(60);

  /** A task's run timeout when the request does not give one; the task ends TIMED_OUT. */
  @NotNull
  @io.dropwizard.validation.MinDuration(value = 1, unit = java.util.concurrent.TimeUnit.SECONDS) // 0s timed out every task at once
  private Duration defaultTaskTimeout = Duration.hours(24);

  /** The longest run timeout a task may ask for; a longer one is refused with 400 (bad input, not overload). */
  @NotNull
  @io.dropwizard.validation.MinDuration(value = 1, unit = java.util.concurrent.TimeUnit.SECONDS)
  private Duration maxTaskTimeout = Duration.days(30);

  /**
   * The most records a tenant may hold in each admin collection (and an agent keys); past it a
   * create is 409 {@code quota_exceeded}. Bounds what one tenant admin can make every replica hold.
   */
  @jakarta.validation.constraints.Min(1)
  private int maxEntriesPerTenant = dev.gatehouse.frontend.app.admin.AdminContext.DEFAULT_MAX_ENTRIES;

  /** The most identity providers a tenant may have (each keeps its signing keys in every replica's memory). */
  @jakarta.validation.constraints.Min(1)
  private int maxIdentityProvidersPerTenant = dev.gatehouse.frontend.app.admin.AdminContext.DEFAULT_MAX_IDENTITY_PROVIDERS;

  @JsonProperty
  public int getMaxConnections() {
    return maxConnections;
  }

  @JsonProperty
  public void setMaxConnections(int v) {
    this.maxConnections = v;
  }

  @JsonProperty
  public int getMaxConnectionsPerAddress() {
    return maxConnectionsPerAddress;
  }

  @JsonProperty
  public void setMaxConnectionsPerAddress(int v) {
    this.maxConnectionsPerAddress = v;
  }

  @JsonProperty
  public Duration getIdleTimeoutAtConnectionLimit() {
    return idleTimeoutAtConnectionLimit;
  }

  @JsonProperty
  public void setIdleTimeoutAtConnectionLimit(Duration v) {
    this.idleTimeoutAtConnectionLimit = v;
  }

  @JsonProperty
  public int getMaxEntriesPerTenant() {
    return maxEntriesPerTenant;
  }

  @JsonProperty
  public void setMaxEntriesPerTenant(int v) {
    this.maxEntriesPerTenant = v;
  }

  @JsonProperty
  public int getMaxIdentityProvidersPerTenant() {
    return maxIdentityProvidersPerTenant;
  }

  @JsonProperty
  public void setMaxIdentityProvidersPerTenant(int v) {
    this.maxIdentityProvidersPerTenant = v;
  }

  /** The default must fit under the maximum, or every task without a timeout would be refused. */
  @jakarta.validation.constraints.AssertTrue(message = "limits.defaultTaskTimeout must not be longer than limits.maxTaskTimeout")
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isDefaultWithinMax() {
    return defaultTaskTimeout == null || maxTaskTimeout == null
        || defaultTaskTimeout.toJavaDuration().compareTo(maxTaskTimeout.toJavaDuration()) <= 0;
  }

  @JsonProperty
  public DataSize getMaxRequestBody() {
    return maxRequestBody;
  }

  @JsonProperty
  public void setMaxRequestBody(DataSize v) {
    this.maxRequestBody = v;
  }

  @JsonProperty
  public DataSize getMinRequestBodyRate() {
    return minRequestBodyRate;
  }

  @JsonProperty
  public void setMinRequestBodyRate(DataSize v) {
    this.minRequestBodyRate = v;
  }

  @JsonProperty
  public DataSize getMinResponseRate() {
    return minResponseRate;
  }

  @JsonProperty
  public void setMinResponseRate(DataSize v) {
    this.minResponseRate = v;
  }

  @JsonProperty
  public DataSize getMaxToolResponse() {
    return maxToolResponse;
  }

  @JsonProperty
  public void setMaxToolResponse(DataSize v) {
    this.maxToolResponse = v;
  }

  @JsonProperty
  public Duration getMaxWait() {
    return maxWait;
  }

  @JsonProperty
  public void setMaxWait(Duration v) {
    this.maxWait = v;
  }

  @JsonProperty
  public Duration getDefaultTaskTimeout() {
    return defaultTaskTimeout;
  }

  @JsonProperty
  public void setDefaultTaskTimeout(Duration v) {
    this.defaultTaskTimeout = v;
  }

  @JsonProperty
  public Duration getMaxTaskTimeout() {
    return maxTaskTimeout;
  }

  @JsonProperty
  public void setMaxTaskTimeout(Duration v) {
    this.maxTaskTimeout = v;
  }
}
