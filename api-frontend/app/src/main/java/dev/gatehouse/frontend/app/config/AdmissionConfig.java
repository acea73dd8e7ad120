package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.gatehouse.frontend.core.admission.Admission;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Admission control: how much work Gatehouse takes on before it answers 429 {@code overloaded}
 * (see {@link Admission}). Open tasks are counted across replicas; starts and direct calls in
 * flight per replica.
 */
public class AdmissionConfig {
  /** Open (running) tasks of all tenants together. */
  @Min(1)
  @Max(10_000_000)
  private int maxOpenTasks = 1000;

  /** Open tasks of one tenant, unless {@link #tenants} names its own. */
  @Min(1)
  @Max(10_000_000)
  private int maxOpenTasksPerTenant = 200;

  /** Per-tenant open-task limits by tenant name, overriding {@link #maxOpenTasksPerTenant}. */
  @NotNull private Map<String, @Min(1) Integer> tenants = new LinkedHashMap<>();

  /** Task starts handed to the engine and not yet accepted, on one replica. */
  @Min(1)
  @Max(100_000)
  private int maxPendingStarts = 32;

  /** Direct (read-only, not durable) tool calls running at once on one replica. */
  @Min(1)
  @Max(100_000)
  private int maxDirectCalls = 128;

  /** Reads waiting for a task's end ({@code GET /v1/tasks/{id}?wait=}) at once on one replica: each holds a request thread. */
  @Min(1)
  @Max(100_000)
  private int maxTaskWaits = 512;

  /** Such reads of one agent at once on one replica. */
  @Min(1)
  @Max(100_000)
  private int maxTaskWaitsPerAgent = 64;

  /**
   * Such reads of one tenant's agents at once on one replica: a tenant admin may make any number of
   * agents, so without it one tenant could hold every one of {@link #maxTaskWaits}.
   */
  @Min(1)
  @Max(100_000)
  private int maxTaskWaitsPerTenant = 256;

  /** Direct calls of one tenant running at once on one replica: its share of {@link #maxDirectCalls}. */
  @Min(1)
  @Max(100_000)
  private int maxDirectCallsPerTenant = 64;

  /** The shortest {@code Retry-After}; what a refusal of in-flight work says. */
  @NotNull private Duration minRetryAfter = Duration.seconds(1);

  /** The longest {@code Retry-After} an open-task refusal estimates. */
  @NotNull private Duration maxRetryAfter = Duration.seconds(30);

  public Admission.Limits limits() {
    return new Admission.Limits(
        maxOpenTasks,
        maxOpenTasksPerTenant,
        tenants,
        maxPendingStarts,
        maxDirectCalls,
        maxDirectCallsPerTenant,
        minRetryAfter.toJavaDuration(),
        maxRetryAfter.toJavaDuration());
  }

  @JsonProperty
  public int getMaxDirectCallsPerTenant() {
    return maxDirectCallsPerTenant;
  }

  @JsonProperty
  public void setMaxDirectCallsPerTenant(int n) {
    this.maxDirectCallsPerTenant = n;
  }

  @JsonProperty
  public int getMaxTaskWaits() {
    return maxTaskWaits;
  }

  @JsonProperty
  public void setMaxTaskWaits(int n) {
    this.maxTaskWaits = n;
  }

  @JsonProperty
  public int getMaxTaskWaitsPerAgent() {
    return maxTaskWaitsPerAgent;
  }

  @JsonProperty
  public void setMaxTaskWaitsPerAgent(int n) {
    this.maxTaskWaitsPerAgent = n;
  }

  @JsonProperty
  public int getMaxTaskWaitsPerTenant() {
    return maxTaskWaitsPerTenant;
  }

  @JsonProperty
  public void setMaxTaskWaitsPerTenant(int n) {
    this.maxTaskWaitsPerTenant = n;
  }

  @JsonProperty
  public int getMaxOpenTasks() {
    return maxOpenTasks;
  }

  @JsonProperty
  public void setMaxOpenTasks(int n) {
    this.maxOpenTasks = n;
  }

  @JsonProperty
  public int getMaxOpenTasksPerTenant() {
    return maxOpenTasksPerTenant;
  }

  @JsonProperty
  public void setMaxOpenTasksPerTenant(int n) {
    this.maxOpenTasksPerTenant = n;
  }

  @JsonProperty
  public Map<String, Integer> getTenants() {
    return tenants;
  }

  @JsonProperty
  public void setTenants(Map<String, Integer> tenants) {
    this.tenants = tenants;
  }

  @JsonProperty
  public int getMaxPendingStarts() {
    return maxPendingStarts;
  }

  @JsonProperty
  public void setMaxPendingStarts(int n) {
    this.maxPendingStarts = n;
  }

  @JsonProperty
  public int getMaxDirectCalls() {
    return maxDirectCalls;
  }

  @JsonProperty
  public void setMaxDirectCalls(int n) {
    this.maxDirectCalls = n;
  }

  @JsonProperty
  public Duration getMinRetryAfter() {
    return minRetryAfter;
  }

  @JsonProperty
  public void setMinRetryAfter(Duration d) {
    this.minRetryAfter = d;
  }

  @JsonProperty
  public Duration getMaxRetryAfter() {
    return maxRetryAfter;
  }

  @JsonProperty
  public void setMaxRetryAfter(Duration d) {
    this.maxRetryAfter = d;
  }
}
