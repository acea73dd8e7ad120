package dev.gatehouse.activities.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import com.github.benmanes.caffeine.cache.Ticker;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ReadThroughCacheTest {
  @Test
  void callersThatMeetAMissingEntryTogetherWaitForOneRead() throws Exception {
    AtomicInteger reads = new AtomicInteger();
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ReadThroughCache<String, String> cache =
        new ReadThroughCache<>(
            Duration.ofMinutes(1),
            100,
            k -> {
              reads.incrementAndGet();
              reading.countDown();
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return "view of " + k;
            });
    List<AtomicReference<String>> got = new ArrayList<>();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      AtomicReference<String> answer = new AtomicReference<>();
      got.add(answer);
      callers.add(new Thread(() -> answer.set(cache.get("tenant"))));
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
  void anEntryUnusedPastItsTtlIsReadByItsNextCallerAndInvalidateAllForgetsEverything() {
    FakeTicker clock = new FakeTicker();
    AtomicInteger reads = new AtomicInteger();
    ReadThroughCache<String, Integer> cache = new ReadThroughCache<>(TTL, 100, k -> reads.incrementAndGet(), clock);
    assertThat(cache.get("k")).isEqualTo(1);
    clock.advance(TTL.multipliedBy(7).dividedBy(10)); // before the point at which it is read again
    assertThat(cache.get("k")).isEqualTo(1);
    assertThat(reads.get()).isEqualTo(1);
    clock.advance(TTL); // 1.7 TTL since it was read: never used again, whatever the reads in between
    assertThat(cache.get("k")).isEqualTo(2);
    cache.invalidateAll();
    assertThat(cache.get("k")).isEqualTo(3);
  }

  @Test
  void anEntryInUseIsReadAgainBeforeItRunsOutWhileTheOtherCallersKeepIt() throws Exception {
    FakeTicker clock = new FakeTicker();
    SlowSecondRead reads = new SlowSecondRead();
    ReadThroughCache<String, Integer> cache = new ReadThroughCache<>(TTL, 100, reads, clock);
    assertThat(cache.get("k")).isEqualTo(1);
    clock.advance(TTL.multipliedBy(8).dividedBy(10)); // past three quarters of the TTL, within it
    AtomicReference<Integer> first = new AtomicReference<>();
    Thread renewing = new Thread(() -> first.set(cache.get("k")));
    renewing.start();
    assertThat(reads.rereading.await(10, TimeUnit.SECONDS)).isTrue();
    // While that one caller reads the entry again, every other caller gets the one it has, at once.
    ExecutorService others = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        answers.add(others.submit(() -> cache.get("k")));
      }
      for (Future<Integer> answer : answers) {
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(1);
      }
    } finally {
      reads.release.countDown();
      others.shutdownNow();
    }
    renewing.join(10_000);
    assertThat(first.get()).isEqualTo(2);
    assertThat(cache.get("k")).isEqualTo(2);
    assertThat(reads.get()).isEqualTo(2);
    // Read again, it lives a whole TTL from then.
    clock.advance(TTL.multipliedBy(7).dividedBy(10));
    assertThat(cache.get("k")).isEqualTo(2);
  }

  @Test
  void aFailedReadAgainKeepsTheEntryUntilItsTtlAndAFailedReadKeepsNothing() {
    FakeTicker clock = new FakeTicker();
    AtomicInteger reads = new AtomicInteger();
    AtomicReference<Boolean> down = new AtomicReference<>(false);
    ReadThroughCache<String, Integer> cache =
        new ReadThroughCache<>(
            TTL,
            100,
            k -> {
              if (down.get()) {
                throw new IllegalStateException("database down");
              }
              return reads.incrementAndGet();
            },
            clock);
    assertThat(cache.get("k")).isEqualTo(1);
    down.set(true);
    clock.advance(TTL.multipliedBy(8).dividedBy(10));
    assertThat(cache.get("k")).isEqualTo(1); // the read again failed: the entry is still within its TTL
    assertThat(cache.get("k")).isEqualTo(1);
    clock.advance(TTL.multipliedBy(3).dividedBy(10)); // past the TTL: no longer used
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(IllegalStateException.class).hasMessage("database down");
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(IllegalStateException.class).hasMessage("database down");
    down.set(false);
    assertThat(cache.get("k")).isEqualTo(2);
  }

  @Test
  void aReadAgainThatAnInvalidationOvertookIsNotKept() throws Exception {
    FakeTicker clock = new FakeTicker();
    SlowSecondRead reads = new SlowSecondRead();
    ReadThroughCache<String, Integer> cache = new ReadThroughCache<>(TTL, 100, reads, clock);
    assertThat(cache.get("k")).isEqualTo(1);
    clock.advance(TTL.multipliedBy(8).dividedBy(10));
    Thread renewing = new Thread(() -> cache.get("k"));
    renewing.start();
    assertThat(reads.rereading.await(10, TimeUnit.SECONDS)).isTrue();
    Thread invalidating = new Thread(() -> cache.invalidate("k"));
    invalidating.start();
    Thread.sleep(50); // (the invalidation may wait for the read in progress to end)
    reads.release.countDown();
    renewing.join(10_000);
    invalidating.join(10_000);
    assertThat(invalidating.isAlive()).isFalse();
    assertThat(cache.get("k")).isEqualTo(3);
  }

  @Test
  void aFailedReadKeepsNothingAndZeroTtlReadsEveryTime() {
    AtomicReference<Boolean> down = new AtomicReference<>(true);
    ReadThroughCache<String, String> cache =
        new ReadThroughCache<>(
            Duration.ofMinutes(1),
            100,
            k -> {
              if (down.get()) {
                throw new IllegalStateException("database down");
              }
              return "read after the failure";
            });
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(IllegalStateException.class).hasMessage("database down");
    down.set(false);
    assertThat(cache.get("k")).isEqualTo("read after the failure");

    AtomicInteger reads = new AtomicInteger();
    ReadThroughCache<String, Integer> uncached = new ReadThroughCache<>(Duration.ZERO, 100, k -> reads.incrementAndGet());
    uncached.get("k");
    uncached.get("k");
    assertThat(reads.get()).isEqualTo(2);
  }

  @Test
  void anEntryIsReadAgainAtThreeQuartersOfItsTtl() {
    assertThat(ReadThroughCache.refreshAfter(Duration.ofSeconds(2))).isEqualTo(Duration.ofMillis(1500));
    assertThat(ReadThroughCache.refreshAfter(Duration.ofNanos(1))).isEqualTo(Duration.ofNanos(1));
  }

  private static final Duration TTL = Duration.ofSeconds(2);

  /** Caffeine's time, moved by the test. */
  private static final class FakeTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long read() {
      return nanos.get();
    }

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }
  }

  /**
   * Counts its reads and answers with the count; the second read (the read again of a test, slow as
   * a query on a busy database) says it has started and waits for {@code release}.
   */
  private static final class SlowSecondRead implements Function<String, Integer> {
    final AtomicInteger reads = new AtomicInteger();
    final CountDownLatch rereading = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public Integer apply(String key) {
      int n = reads.incrementAndGet();
      if (n == 2) {
        rereading.countDown();
        await(release);
      }
      return n;
    }

    int get() {
      return reads.get();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
