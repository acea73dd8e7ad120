package dev.gatehouse.activities.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ReadThroughCacheTest {
  @Test
  void callersThatMeetAMissingEntryTogetherWaitForOneRead() throws Exception {
    ReadThroughCache<String, String> cache = new ReadThroughCache<>(Duration.ofMinutes(1), 100);
    AtomicInteger reads = new AtomicInteger();
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<AtomicReference<String>> got = new ArrayList<>();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      AtomicReference<String> answer = new AtomicReference<>();
      got.add(answer);
      callers.add(
          new Thread(
              () ->
                  answer.set(
                      cache.get(
                          "tenant",
                          k -> {
                            reads.incrementAndGet();
                            reading.countDown();
                            try {
                              release.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                            return "view of " + k;
                          }))));
    }
    callers.forEach(Thread::start);
    assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
    // Every caller is parked: one in the read, the others waiting for it (or, were there no
    // single read, each in a read of its own, counted below).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (callers.stream().anyMatch(t -> t.getState() == Thread.State.RUNNABLE || t.getState() == Thread.State.NEW)
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    release.countDown();
    for (Thread t : callers) {
      t.join(10_000);
    }
    assertThat(reads.get()).isEqualTo(1);
    assertThat(got).allSatisfy(a -> assertThat(a.get()).isEqualTo("view of tenant"));
  }

  @Test
  void anEntryIsReadAgainOnceItsTtlHasPassedAndAfterInvalidateAll() throws Exception {
    ReadThroughCache<String, Integer> cache = new ReadThroughCache<>(Duration.ofMillis(50), 100);
    AtomicInteger reads = new AtomicInteger();
    assertThat(cache.get("k", k -> reads.incrementAndGet())).isEqualTo(1);
    assertThat(cache.get("k", k -> reads.incrementAndGet())).isEqualTo(1);
    Thread.sleep(200);
    assertThat(cache.get("k", k -> reads.incrementAndGet())).isEqualTo(2);
    cache.invalidateAll();
    assertThat(cache.get("k", k -> reads.incrementAndGet())).isEqualTo(3);
  }

  @Test
  void aFailedReadKeepsNothingAndZeroTtlReadsEveryTime() {
    ReadThroughCache<String, String> cache = new ReadThroughCache<>(Duration.ofMinutes(1), 100);
    assertThatThrownBy(() -> cache.get("k", k -> {
          throw new IllegalStateException("database down");
        }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("database down");
    assertThat(cache.get("k", k -> "read after the failure")).isEqualTo("read after the failure");

    ReadThroughCache<String, Integer> uncached = new ReadThroughCache<>(Duration.ZERO, 100);
    AtomicInteger reads = new AtomicInteger();
    uncached.get("k", k -> reads.incrementAndGet());
    uncached.get("k", k -> reads.incrementAndGet());
    assertThat(reads.get()).isEqualTo(2);
  }
}
