package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** The in-process Temporal worker (in {@code server} mode it can be turned off). */
public class WorkerConfig {
  private boolean enabled = true;

  @Min(1)
  @Max(10_000)
  private int maxConcurrentActivities = 200;

  /**
   * The tool and model calls of one tenant's tasks that may run on this replica at once; a call
   * over it waits in its task and is made again. Unset: half of {@link #maxConcurrentActivities}.
   */
  @Min(1)
  @Max(10_000)
  private Integer maxActivitiesPerTenant;

  @Min(1)
  @Max(10_000)
  private int maxConcurrentWorkflowTasks = 200;

  /** Workflows kept in memory between workflow tasks, so a task need not replay the history. */
  @Min(0)
  @Max(100_000)
  private int workflowCacheSize = 600;

  /**
   * How long a tool call may go without a heartbeat before Temporal counts its attempt as lost
   * (a dead worker) and retries it. A running call heartbeats every second or so, and hears of a
   * cancellation at its next heartbeat.
   */
  @NotNull
  @io.dropwizard.validation.MinDuration(value = 1, unit = java.util.concurrent.TimeUnit.SECONDS)
  private io.dropwizard.util.Duration toolHeartbeatTimeout = io.dropwizard.util.Duration.seconds(30);

  @JsonProperty
  public io.dropwizard.util.Duration getToolHeartbeatTimeout() {
    return toolHeartbeatTimeout;
  }

  @JsonProperty
  public void setToolHeartbeatTimeout(io.dropwizard.util.Duration d) {
    this.toolHeartbeatTimeout = d;
  }

  @JsonProperty
  public int getWorkflowCacheSize() {
    return workflowCacheSize;
  }

  @JsonProperty
  public void setWorkflowCacheSize(int n) {
    this.workflowCacheSize = n;
  }

  /**
   * How long a workflow task waits on this worker's sticky queue before Temporal hands it to any
   * worker. 0 turns sticky execution off: every workflow task may go to any worker (and replays
   * the history there).
   */
  @NotNull private io.dropwizard.util.Duration stickyQueueScheduleToStartTimeout = io.dropwizard.util.Duration.seconds(5);

  @JsonProperty
  public io.dropwizard.util.Duration getStickyQueueScheduleToStartTimeout() {
    return stickyQueueScheduleToStartTimeout;
  }

  @JsonProperty
  public void setStickyQueueScheduleToStartTimeout(io.dropwizard.util.Duration d) {
    this.stickyQueueScheduleToStartTimeout = d;
  }

  @JsonProperty
  public boolean isEnabled() {
    return enabled;
  }

  @JsonProperty
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  @JsonProperty
  public int getMaxConcurrentActivities() {
    return maxConcurrentActivities;
  }

  @JsonProperty
  public void setMaxConcurrentActivities(int n) {
    this.maxConcurrentActivities = n;
  }

  @JsonProperty
  public Integer getMaxActivitiesPerTenant() {
    return maxActivitiesPerTenant;
  }

  @JsonProperty
  public void setMaxActivitiesPerTenant(Integer n) {
    this.maxActivitiesPerTenant = n;
  }

  /** {@link #getMaxActivitiesPerTenant()}, or half of the slots when it is not set. */
  public int activitiesPerTenant() {
    return maxActivitiesPerTenant != null ? maxActivitiesPerTenant : Math.max(1, maxConcurrentActivities / 2);
  }

  @JsonProperty
  public int getMaxConcurrentWorkflowTasks() {
    return maxConcurrentWorkflowTasks;
  }

  @JsonProperty
  public void setMaxConcurrentWorkflowTasks(int n) {
    this.maxConcurrentWorkflowTasks = n;
  }
}
