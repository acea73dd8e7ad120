package dev.gatehouse.frontend.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/** The in-process Temporal worker (in {@code server} mode it can be turned off). */
public class WorkerConfig {
  private boolean enabled = true;

  @Min(1)
  @Max(10_000)
  private int maxConcurrentActivities = 200;

  @Min(1)
  @Max(10_000)
  private int maxConcurrentWorkflowTasks = 200;

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
  public int getMaxConcurrentWorkflowTasks() {
    return maxConcurrentWorkflowTasks;
  }

  @JsonProperty
  public void setMaxConcurrentWorkflowTasks(int n) {
    this.maxConcurrentWorkflowTasks = n;
  }
}
