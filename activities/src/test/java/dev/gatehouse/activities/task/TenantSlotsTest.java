package dev.gatehouse.activities.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.workflows.limits.RateLimitWaits;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TenantSlotsTest {
  @Test
  void aTenantRunsUpToItsShareAndOthersAreNotCounted() {
    AtomicInteger refused = new AtomicInteger();
    TenantSlots slots = new TenantSlots(2, refused::incrementAndGet);
    TenantSlots.Slot a1 = slots.take("a");
    TenantSlots.Slot a2 = slots.take("a");
    assertThat(a1).isNotNull();
    assertThat(a2).isNotNull();
    assertThat(slots.take("a")).as("a third call of tenant a").isNull();
    assertThat(refused).hasValue(1);
    assertThat(slots.take("b")).as("tenant b's first call").isNotNull();
    assertThat(slots.running("a")).isEqualTo(2);

    a1.close();
    a1.close(); // a second close gives nothing back twice
    assertThat(slots.running("a")).isEqualTo(1);
    TenantSlots.Slot a3 = slots.take("a");
    assertThat(a3).isNotNull();
    assertThat(slots.take("a")).isNull();
    a2.close();
    a3.close();
    assertThat(slots.running("a")).isZero();
  }

  @Test
  void aCallWithNoTenantTakesNoSlot() {
    TenantSlots slots = new TenantSlots(1, null);
    for (int i = 0; i < 3; i++) {
      assertThat(slots.take(null)).isNotNull();
    }
    assertThat(slots.take("a")).isNotNull();
    assertThat(slots.take("a")).isNull();
  }

  @Test
  void concurrentTakesNeverExceedTheShare() throws Exception {
    TenantSlots slots = new TenantSlots(3, null);
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      done.add(
          pool.submit(
              () -> {
                go.await();
                for (int i = 0; i < 2_000; i++) {
                  TenantSlots.Slot s = slots.take("a");
                  if (s != null) {
                    most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    inside.decrementAndGet();
                    s.close();
                  }
                }
                return null;
              }));
    }
    go.countDown();
    for (Future<?> f : done) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(most.get()).isBetween(1, 3);
    assertThat(slots.running("a")).isZero();
  }

  @Test
  void theWaitGrowsWithTheTenantsBacklogAndShrinksOnceItsCallsGetSlots() {
    TenantSlots slots = new TenantSlots(2, null);
    TenantSlots.Slot a1 = slots.take("a");
    TenantSlots.Slot a2 = slots.take("a");
    assertThat(slots.retryAfter("a")).isEqualTo(Duration.ofSeconds(2));
    for (int i = 0; i < 4; i++) {
      assertThat(slots.take("a")).isNull();
    }
    assertThat(slots.retryAfter("a")).as("two shares' worth of refusals").isEqualTo(Duration.ofSeconds(6));
    assertThat(slots.retryAfter("b")).as("another tenant").isEqualTo(Duration.ofSeconds(2));
    for (int i = 0; i < 1_000; i++) {
      slots.take("a");
    }
    assertThat(slots.retryAfter("a")).as("at most").isEqualTo(TenantSlots.MAX_RETRY_AFTER);
    a1.close();
    a2.close();
    for (int i = 0; i < 12; i++) {
      slots.take("a").close();
    }
    assertThat(slots.retryAfter("a")).as("after calls got slots again").isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void theRefusalIsOneTheWorkflowWaitsOn() {
    ApplicationFailure refusal = new TenantSlots(5, null).refusal("a");
    assertThat(refusal.getType()).isEqualTo(RateLimitWaits.OVERLOADED);
    assertThat(refusal.isNonRetryable()).isTrue();
    assertThat(RateLimitWaits.waitOf(refusal)).isEqualTo(TenantSlots.RETRY_AFTER);
    assertThat(refusal.getOriginalMessage()).contains("worker.maxActivitiesPerTenant").doesNotContain("Exception");
    assertThatThrownBy(() -> new TenantSlots(0, null)).isInstanceOf(IllegalArgumentException.class);
  }
}
