package dev.gatehouse.activities.model;

import java.io.InputStream;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Ends upstream streams that go quiet: a stream that receives nothing for its provider's timeout
 * is closed, which ends the blocking read that waits on it. One daemon thread for all streams,
 * which wakes when the earliest watched stream would reach its timeout (not once per stream:
 * starting and ending a watch only adds it to and removes it from a set, with no timer task of
 * its own), closes those that did and sleeps until the next one would.
 */
final class StreamWatchdog implements AutoCloseable {
  private final ScheduledThreadPoolExecutor timer =
      new ScheduledThreadPoolExecutor(
          1,
          r -> {
            Thread t = new Thread(r, "model-stream-watchdog");
            t.setDaemon(true);
            return t;
          });

  private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  /** Whether a sweep is scheduled, and when it runs ({@link System#nanoTime}); read without the lock as a hint. */
  private volatile boolean scheduled;
  private volatile long sweepAt;
  /** Guarded by {@link #lock}. */
  private ScheduledFuture<?> sweep;

  StreamWatchdog() {
    timer.setRemoveOnCancelPolicy(true);
  }

  /** One watched stream: call {@link #activity} on every event that carries data, {@link #close} when done. */
  final class Watch implements AutoCloseable {
    private final InputStream in;
    private final long idleNanos;
    /** When the stream has lasted its longest ({@link System#nanoTime}), whatever it sends. */
    private final long endNanos;
    private volatile boolean overran;
    private volatile long lastNanos = System.nanoTime();
    private volatile boolean fired;
    private volatile boolean done;
    /** While Gatehouse writes to the client the stream is not read, so it is not idle: a slow client is not the provider's silence. */
    private volatile boolean writing;
    /** When the current write to the client began ({@link System#nanoTime}). */
    private volatile long writeStartNanos;

    private Watch(InputStream in, long idleNanos, long maxNanos) {
      this.in = in;
      this.idleNanos = idleNanos;
      long now = System.nanoTime();
      this.endNanos = maxNanos > Long.MAX_VALUE / 4 ? now + Long.MAX_VALUE / 4 : now + maxNanos;
    }

    void activity() {
      lastNanos = System.nanoTime();
    }

    /**
     * Whether Gatehouse is writing what the stream sent to the client: the provider's idle time
     * does not run meanwhile (a client that reads slowly held up the reads, and the stream was
     * closed as if the provider had gone quiet); it starts again when the write ends. A client
     * that stops reading altogether is ended by the server's own idle timeout.
     */
    void writingToClient(boolean now) {
      long t = System.nanoTime();
      if (now) {
        writeStartNanos = t;
      } else if (writing) {
        // The idle time spent writing is not the provider's: moved past it, not restarted (the
        // relay flushes before every read of the provider, keep-alive comments' included, and a
        // restart there let a stream of comments alone run for ever).
        lastNanos += t - writeStartNanos;
      }
      writing = now;
    }

    /** Whether the stream was closed for being idle, or for lasting its longest ({@link #overran}). */
    boolean fired() {
      return fired;
    }

    /** Whether the stream was closed for lasting its longest. */
    boolean overran() {
      return overran;
    }

    private long deadline() {
      long idle = (writing ? System.nanoTime() : lastNanos) + idleNanos;
      return idle - endNanos < 0 ? idle : endNanos;
    }

    private void fire(long now) {
      if (!done) {
        overran = now - endNanos >= 0;
        fired = true;
        ProviderClient.closeQuietly(in);
      }
    }

    @Override
    public void close() {
      done = true;
      watches.remove(this);
    }
  }

  Watch watch(InputStream in, java.time.Duration idle) {
    return watch(in, idle, java.time.Duration.ofNanos(Long.MAX_VALUE));
  }

  /** Watches {@code in}: closed after {@code idle} without activity, or {@code max} after now whatever it sends. */
  Watch watch(InputStream in, java.time.Duration idle, java.time.Duration max) {
    Watch w = new Watch(in, idle.toNanos(), max.toNanos());
    watches.add(w);
    sweepBy(w.deadline());
    return w;
  }

  /** Makes sure a sweep runs no later than {@code deadline}. */
  private void sweepBy(long deadline) {
    if (scheduled && deadline - sweepAt >= 0) {
      return; // the usual case: one is due before this stream's timeout
    }
    synchronized (lock) {
      if (scheduled && deadline - sweepAt >= 0) {
        return;
      }
      if (sweep != null) {
        sweep.cancel(false);
      }
      sweepAt = deadline;
      scheduled = true;
      try {
        sweep = timer.schedule(this::sweep, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        scheduled = false; // the watchdog is closed (the invoker shut down)
      }
    }
  }

  /** Closes the streams past their timeout; schedules the next sweep for the earliest of the others. */
  private void sweep() {
    synchronized (lock) {
      // From here on a new watch schedules its own sweep; the one computed below may come earlier.
      scheduled = false;
      sweep = null;
    }
    long now = System.nanoTime();
    long next = 0;
    boolean any = false;
    for (Iterator<Watch> it = watches.iterator(); it.hasNext(); ) {
      Watch w = it.next();
      if (w.done) {
        it.remove();
        continue;
      }
      long deadline = w.deadline();
      if (now - deadline >= 0) {
        it.remove();
        w.fire(now);
      } else if (!any || deadline - next < 0) {
        next = deadline;
        any = true;
      }
    }
    if (any) {
      sweepBy(next);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
