package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A watched stream that sends nothing for its idle time is closed; not while Gatehouse is still
 * writing what it sent to a slow client (a probe's client that read slowly had a provider that
 * was sending all along closed as "sent nothing").
 */
class StreamWatchdogTest {
  /** A stream that notes being closed. */
  private static final class Noted extends ByteArrayInputStream {
    final AtomicBoolean closed = new AtomicBoolean();

    Noted() {
      super(new byte[0]);
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  private static void waitUntil(AtomicBoolean flag, long millis) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofMillis(millis).toNanos();
    while (!flag.get() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
  }

  @Test
  void aQuietStreamIsClosedButNotWhileItsLastEventIsBeingWritten() throws Exception {
    try (StreamWatchdog dog = new StreamWatchdog()) {
      Noted quiet = new Noted();
      try (StreamWatchdog.Watch w = dog.watch(quiet, Duration.ofMillis(100))) {
        waitUntil(quiet.closed, 5_000);
        assertThat(quiet.closed).isTrue();
        assertThat(w.fired()).isTrue();
      }

      Noted written = new Noted();
      try (StreamWatchdog.Watch w = dog.watch(written, Duration.ofMillis(100))) {
        w.writingToClient(true);
        Thread.sleep(600); // six idle times, all spent writing to the client
        assertThat(written.closed).as("closed while the client was being written to").isFalse();
        w.writingToClient(false);
        waitUntil(written.closed, 5_000);
        assertThat(written.closed).as("idle again once the write ended").isTrue();
      }
    }
  }

  /**
   * A stream's keep-alive runs each interval without a write to the client, never while writing,
   * and a stream whose keep-alive found every thread of the pool busy gets its next one later
   * (the pool is bounded: a keep-alive writes to a client that may be slow to take it).
   */
  @Test
  void keepAlivesRunEachQuietIntervalAndOneSkippedWhileThePoolIsBusyComesLater() throws Exception {
    try (StreamWatchdog dog = new StreamWatchdog()) {
      int streams = StreamWatchdog.KEEP_ALIVE_THREADS + 4;
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.atomic.AtomicInteger[] runs = new java.util.concurrent.atomic.AtomicInteger[streams];
      java.util.List<StreamWatchdog.Watch> watches = new java.util.ArrayList<>();
      for (int i = 0; i < streams; i++) {
        java.util.concurrent.atomic.AtomicInteger n = runs[i] = new java.util.concurrent.atomic.AtomicInteger();
        watches.add(dog.watch(new Noted(), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMillis(50), () -> {
          if (n.incrementAndGet() == 1) {
            try {
              release.await(); // the first of each holds a thread of the pool: a client slow to take it
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        }));
      }
      Thread.sleep(300);
      release.countDown();
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < end && java.util.Arrays.stream(runs).anyMatch(n -> n.get() < 3)) {
        Thread.sleep(20);
      }
      assertThat(runs).allSatisfy(n -> assertThat(n.get()).isGreaterThanOrEqualTo(3));

      StreamWatchdog.Watch writing = watches.get(0);
      writing.writingToClient(true);
      int before = runs[0].get();
      Thread.sleep(300);
      assertThat(runs[0].get()).as("none while the client is being written to").isLessThanOrEqualTo(before + 1);
      writing.writingToClient(false);
      watches.forEach(StreamWatchdog.Watch::close);
    }
  }

  @Test
  void closingTheWatchStopsIt() throws Exception {
    try (StreamWatchdog dog = new StreamWatchdog()) {
      Noted done = new Noted();
      dog.watch(done, Duration.ofMillis(50)).close();
      Thread.sleep(300);
      assertThat(done.closed).isFalse();
    }
  }
}
