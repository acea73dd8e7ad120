package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.NotNull;
import java.util.concurrent.TimeUnit;

/** How budget policies' reservations are kept (see docs/budgets.md and {@code BudgetLedger}). */
public class BudgetsConfig {
  /**
   * How long a call's reservation holds its budget when the call never settles it (its replica
   * died): then it is released. Longer than the longest model call or stream you expect; a call
   * that runs longer still settles what it spent, but stops holding its worst case after this.
   */
  @NotNull
  @MinDuration(value = 1, unit = TimeUnit.SECONDS)
  private Duration reservationTtl = Duration.minutes(15);

  /** How often each replica releases expired reservations and retries settlements it could not write. */
  @NotNull
  @MinDuration(value = 50, unit = TimeUnit.MILLISECONDS)
  private Duration sweepInterval = Duration.seconds(30);

  @JsonProperty
  public Duration getReservationTtl() {
    return reservationTtl;
  }

  @JsonProperty
  public void setReservationTtl(Duration d) {
    this.reservationTtl = d;
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
