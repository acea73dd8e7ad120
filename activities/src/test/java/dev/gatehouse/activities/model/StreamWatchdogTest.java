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
