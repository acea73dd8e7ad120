package dev.gatehouse.activities.model;

import java.io.InputStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Ends upstream streams that go quiet: a stream that receives nothing for its provider's timeout
 * is closed, which ends the blocking read that waits on it. One daemon thread for all streams.
 */
final class StreamWatchdog implements AutoCloseable {
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "model-stream-watchdog");
            t.setDaemon(true);
            return t;
          });

  /** One watched stream: call {@link #activity} on every read, {@link #close} when done. */
  final class Watch implements AutoCloseable {
    private final InputStream in;
    private final long idleNanos;
    private volatile long lastNanos = System.nanoTime();
    private volatile boolean fired;
    private volatile boolean done;
    private ScheduledFuture<?> next;

    private Watch(InputStream in, long idleNanos) {
      this.in = in;
      this.idleNanos = idleNanos;
      schedule(idleNanos);
    }

    void activity() {
      lastNanos = System.nanoTime();
    }

    /** Whether the stream was closed for being idle. */
    boolean fired() {
      return fired;
    }

    private synchronized void schedule(long delayNanos) {
      if (!done) {
        next = timer.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
      }
    }

    private void check() {
      long idle = System.nanoTime() - lastNanos;
      if (idle >= idleNanos) {
        fired = true;
        ProviderClient.closeQuietly(in);
      } else {
        schedule(idleNanos - idle);
      }
    }

    @Override
    public synchronized void close() {
      done = true;
      if (next != null) {
        next.cancel(false);
      }
    }
  }

  Watch watch(InputStream in, java.time.Duration idle) {
    return new Watch(in, idle.toNanos());
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
