package dev.gatehouse.frontend.app;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/**
 * The Dropwizard metric registry of a Gatehouse process: timers and histograms created by name
 * (Jetty's per-request timers among them: every request of both faces updates several) sample
 * into a {@link LockFreeExponentiallyDecayingReservoir}, the lock-free version of the default
 * reservoir, with the same size, weighting and snapshots. Metrics given their own supplier are
 * built as that says.
 */
public final class LockFreeMetricRegistry extends MetricRegistry {
  @Override
  public Timer timer(String name) {
    return timer(name, () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
  }

  @Override
  public Histogram histogram(String name) {
    return histogram(name, () -> new Histogram(LockFreeExponentiallyDecayingReservoir.builder().build()));
  }
}
