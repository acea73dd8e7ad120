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
 *
 * <p>It also keeps the client's side of a quiet stream alive: a watch with a keep-alive has it run
 * when nothing was written to the client for its interval. The keep-alive writes to the client,
 * which may block, so it runs on a small pool of its own ({@link #KEEP_ALIVE_THREADS} at most; one
 * due while they are all busy is skipped, the next comes an interval later), never on the sweep's
 * thread, and one stream's is never run twice at once.
 */
final class StreamWatchdog implements AutoCloseable {
  /** The most keep-alives written at once (each to a client that may be slow to take it). */
  static final int KEEP_ALIVE_THREADS = 8;

  private final java.util.concurrent.ThreadPoolExecutor keepAlives =
      new java.util.concurrent.ThreadPoolExecutor(
          0,
          KEEP_ALIVE_THREADS,
          30,
          TimeUnit.SECONDS,
          new java.util.concurrent.SynchronousQueue<>(),
          r -> {
            Thread t = new Thread(r, "model-stream-keepalive");
            t.setDaemon(true);
            return t;
          }); // when all are busy, execute throws: the keep-alive is skipped (see Watch.keepAlive)

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
    /** What keeps the client's side alive, and after how long without a write (0: never). */
    private final Runnable keepAlive;
    private final long keepAliveNanos;
    /** When an event last reached the client, or a keep-alive was last due ({@link System#nanoTime}). */
    private volatile long lastWriteNanos;
    private final java.util.concurrent.atomic.AtomicBoolean keepingAlive = new java.util.concurrent.atomic.AtomicBoolean();

    private Watch(InputStream in, long idleNanos, long maxNanos, long keepAliveNanos, Runnable keepAlive) {
      this.in = in;
      this.idleNanos = idleNanos;
      long now = System.nanoTime();
      this.endNanos = maxNanos > Long.MAX_VALUE / 4 ? now + Long.MAX_VALUE / 4 : now + maxNanos;
      this.keepAlive = keepAliveNanos > 0 ? keepAlive : null;
      this.keepAliveNanos = keepAliveNanos;
      this.lastWriteNanos = now;
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

    /** An event reached the client (a flush with nothing new to send is not a write: it keeps nothing alive). */
    void wroteToClient() {
      lastWriteNanos = System.nanoTime();
    }

    /** Whether the stream was closed for being idle, or for lasting its longest ({@link #overran}). */
    boolean fired() {
      return fired;
    }

    /** Whether the stream was closed for lasting its longest. */
    boolean overran() {
      return overran;
    }

    /** When the stream is to be closed: its idle timeout or its longest, whichever is first. */
    private long closeDeadline() {
      long idle = (writing ? System.nanoTime() : lastNanos) + idleNanos;
      return idle - endNanos < 0 ? idle : endNanos;
    }

    /** When the sweep must next look at this stream: to close it, or to keep its client's side alive. */
    private long deadline() {
      long close = closeDeadline();
      if (keepAlive == null) {
        return close;
      }
      long alive = (writing ? System.nanoTime() : lastWriteNanos) + keepAliveNanos;
      return alive - close < 0 ? alive : close;
    }

    /** Runs the keep-alive on the pool, unless the last one is still running; the next is due an interval from now. */
    private void keepAlive(long now) {
      lastWriteNanos = now;
      if (!keepingAlive.compareAndSet(false, true)) {
        return;
      }
      try {
        keepAlives.execute(
            () -> {
              try {
                if (!done) {
                  keepAlive.run();
                }
              } finally {
                keepingAlive.set(false);
              }
            });
      } catch (java.util.concurrent.RejectedExecutionException busy) {
        keepingAlive.set(false); // every thread is busy (or the watchdog closed): skipped
      }
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
    return watch(in, idle, max, java.time.Duration.ZERO, null);
  }

  /**
   * As {@link #watch(InputStream, java.time.Duration, java.time.Duration)}, and runs {@code
   * keepAlive} (on the keep-alive pool) whenever nothing was written to the client for {@code
   * keepAliveEvery} (zero: never).
   */
  Watch watch(InputStream in, java.time.Duration idle, java.time.Duration max, java.time.Duration keepAliveEvery, Runnable keepAlive) {
    Watch w = new Watch(in, idle.toNanos(), max.toNanos(), keepAlive == null ? 0 : keepAliveEvery.toNanos(), keepAlive);
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
      if (now - w.closeDeadline() >= 0) {
        it.remove();
        w.fire(now);
        continue;
      }
      if (w.keepAlive != null && !w.writing && now - (w.lastWriteNanos + w.keepAliveNanos) >= 0) {
        w.keepAlive(now);
      }
      long deadline = w.deadline();
      if (!any || deadline - next < 0) {
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
    keepAlives.shutdownNow();
  }
}
