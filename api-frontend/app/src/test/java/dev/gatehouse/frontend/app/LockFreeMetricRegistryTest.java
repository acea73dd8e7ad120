package dev.gatehouse.frontend.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.ExponentiallyDecayingReservoir;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Reservoir;
import com.codahale.metrics.SlidingWindowReservoir;
import com.codahale.metrics.Timer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.core.setup.Bootstrap;
import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The process's Dropwizard registry: lock-free reservoirs for timers and histograms made by name. */
class LockFreeMetricRegistryTest {
  @Test
  void timersAndHistogramsByNameSampleIntoTheLockFreeReservoir() throws Exception {
    LockFreeMetricRegistry registry = new LockFreeMetricRegistry();
    Timer timer = registry.timer("t");
    assertThat(registry.timer("t")).isSameAs(timer);
    timer.update(5, TimeUnit.MILLISECONDS);
    timer.update(7, TimeUnit.MILLISECONDS);
    assertThat(timer.getCount()).isEqualTo(2);
    assertThat(timer.getSnapshot().getMax()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(7));
    assertThat(reservoir(field(timer, "histogram"))).isInstanceOf(LockFreeExponentiallyDecayingReservoir.class);

    Histogram histogram = registry.histogram("h");
    histogram.update(3);
    assertThat(histogram.getSnapshot().getValues()).containsExactly(3);
    assertThat(reservoir(histogram)).isInstanceOf(LockFreeExponentiallyDecayingReservoir.class);

    // A metric given its own supplier is built as it says.
    Histogram sliding = registry.histogram("s", () -> new Histogram(new SlidingWindowReservoir(4)));
    assertThat(reservoir(sliding)).isInstanceOf(SlidingWindowReservoir.class);
    // (the default registry's reservoir, for contrast: what this class replaces)
    assertThat(reservoir(new com.codahale.metrics.MetricRegistry().histogram("d")))
        .isInstanceOf(ExponentiallyDecayingReservoir.class);
  }

  @Test
  void theApplicationRunsOnItAndJettyTimesRequestsInIt() throws Exception {
    Bootstrap<GatehouseConfiguration> bootstrap = new Bootstrap<>(new GatehouseApplication());
    bootstrap.getApplication().initialize(bootstrap);
    assertThat(bootstrap.getMetricRegistry()).isInstanceOf(LockFreeMetricRegistry.class);

    try (TestGatehouse g = TestGatehouse.start()) {
      for (int i = 0; i < 3; i++) {
        assertThat(g.get("/v1/tasks", TestGatehouse.KEY_A).statusCode()).isEqualTo(200);
      }
      JsonNode timers = TestGatehouse.json(g.adminGet("/metrics")).path("timers");
      long requests = 0;
      for (var it = timers.fields(); it.hasNext(); ) {
        var e = it.next();
        if (e.getKey().endsWith(".get-requests")) {
          requests += e.getValue().path("count").asLong();
        }
      }
      assertThat(requests).isGreaterThanOrEqualTo(3);
    }
  }

  private static Reservoir reservoir(Histogram histogram) throws Exception {
    return (Reservoir) field(histogram, "reservoir");
  }

  private static Histogram field(Timer timer, String name) throws Exception {
    return (Histogram) field((Object) timer, name);
  }

  private static Object field(Object target, String name) throws Exception {
    Field f = target.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(target);
  }
}
