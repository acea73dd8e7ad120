package dev.gatehouse.frontend.app.config;

import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * How the audit log is written: rows are queued and appended in batches by one background thread.
 * A full queue makes the request write its own row rather than lose it.
 */
public class AuditConfig {
  /** Rows that may wait in memory. */
  @Min(1)
  @Max(1_000_000)
  private int queueSize = 10_000;

  /** How often the writer looks for rows when it is idle. */
  @NotNull private Duration flushInterval = Duration.milliseconds(200);

  /** How long the writer waits after a batch's first row for more to share the insert (at most the interval). */
  @NotNull private Duration linger = Duration.milliseconds(50);

  public int getQueueSize() {
    return queueSize;
  }

  public void setQueueSize(int queueSize) {
    this.queueSize = queueSize;
  }

  public Duration getFlushInterval() {
    return flushInterval;
  }

  public void setFlushInterval(Duration flushInterval) {
    this.flushInterval = flushInterval;
  }

  public Duration getLinger() {
    return linger;
  }

  public void setLinger(Duration linger) {
    this.linger = linger;
  }
}
