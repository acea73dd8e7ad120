package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.NotNull;
import java.util.concurrent.TimeUnit;

/** How the front end settles tasks no workflow code reports on (see {@code TaskSweeper}). */
public class TasksConfig {
  /**
   * How long a canceled task's workflow has to end by itself before Gatehouse terminates it and
   * records the task CANCELED: a workflow that cannot process the cancel request (its workflow
   * task keeps failing) would otherwise run until its timeout.
   */
  @NotNull
  @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS, inclusive = true)
  private Duration cancelGrace = Duration.seconds(30);

  /** How often running tasks past their deadline or their cancel grace are looked for. */
  @NotNull
  @MinDuration(value = 50, unit = TimeUnit.MILLISECONDS)
  private Duration sweepInterval = Duration.seconds(10);

  /**
   * How long a task is kept once it has ended: its row, its archived history and its stored
   * results are deleted after that (audit and usage rows stay). Unset: kept for ever.
   */
  @MinDuration(value = 1, unit = TimeUnit.HOURS)
  private Duration retention;

  @JsonProperty
  public Duration getRetention() {
    return retention;
  }

  @JsonProperty
  public void setRetention(Duration d) {
    this.retention = d;
  }

  @JsonProperty
  public Duration getCancelGrace() {
    return cancelGrace;
  }

  @JsonProperty
  public void setCancelGrace(Duration d) {
    this.cancelGrace = d;
  }

  @JsonProperty
  public Duration getSweepInterval() {
    return sweepInterval;
  }

  @JsonProperty
  public void setSweepInterval(Duration d) {
    this.sweepInterval = d;
  }
}
