package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.workflows.tool.ToolProgress;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Heartbeats a running tool or model call at a steady pace, whether or not its upstream reports progress,
 * and interrupts the call's thread when a heartbeat's answer says the activity is to stop
 * (cancelled, gone, or the worker is shutting down). An activity hears of a cancellation only
 * through a heartbeat; without these a slow upstream call could not be stopped, and a worker that
 * died mid-call would be noticed only at the call's start-to-close timeout.
 *
 * <p>The interrupt aborts a blocked HTTP exchange ({@link BlockingHttp#interrupt}: the connection
 * is closed, so the upstream sees the caller go). It reaches the call's thread only while the call runs: {@link Beat#close} stops
 * the beat and clears an interrupt that raced with the end of the call.
 */
public final class Heartbeats implements AutoCloseable {
  private final Duration interval;
  private final ScheduledExecutorService scheduler;

  /** {@code interval}: time between heartbeats (the SDK may send fewer: it throttles them). */
  public Heartbeats(Duration interval) {
    this.interval = interval;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tool-heartbeats");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts heartbeating for the activity running on the current thread. */
  public Beat start(ActivityExecutionContext execution) {
    return start(execution, null);
  }

  /**
   * Starts heartbeating for the activity running on the current thread, with {@code details}
   * until {@link Beat#progress} gives others (null: none). A heartbeat replaces the details the
   * engine keeps for the activity's next attempt, so an attempt that read an earlier one's
   * details repeats them.
   */
  public Beat start(ActivityExecutionContext execution, Object details) {
    Beat beat = new Beat(execution, Thread.currentThread());
    beat.last = details;
    beat.future = scheduler.scheduleWithFixedDelay(beat::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return beat;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }

  /** The heartbeat of one call. */
  public static final class Beat implements AutoCloseable {
    private final ActivityExecutionContext execution;
    private final Thread caller;
    private volatile ScheduledFuture<?> future;
    /** The details each beat sends: a tool's {@link ToolProgress}, or what a model call's attempts were billed. */
    private Object last;
    private ActivityCompletionException stop;
    private boolean closed;

    private Beat(ActivityExecutionContext execution, Thread caller) {
      this.execution = execution;
      this.caller = caller;
    }

    /** Heartbeats with {@code progress} (the upstream's latest, or a model call's billing), which later beats repeat. */
    public void progress(Object progress) {
      // Sent under the lock, as a tick is: a tick that read the details before them must not send
      // its older ones after them (the engine keeps the last details it was sent).
      synchronized (this) {
        last = progress;
        send(progress);
      }
    }

    private void tick() {
      synchronized (this) {
        send(last);
      }
    }

    private void send(Object details) {
      try {
        execution.heartbeat(details);
      } catch (ActivityCompletionException e) {
        synchronized (this) {
          if (stop == null && !closed) {
            stop = e;
            BlockingHttp.interrupt(caller);
          }
        }
      } catch (RuntimeException e) {
        // the engine is unreachable: the next beat tries again, and the heartbeat timeout decides
      }
    }

    /** Why the activity was told to stop, if it was; the call's failure is then this, not its own. */
    public synchronized ActivityCompletionException stopped() {
      return stop;
    }

    /** Throws {@link #stopped()} when the activity was told to stop: it ends as Temporal asked, whatever its aborted call made of it. */
    public void throwIfStopped() {
      ActivityCompletionException s = stopped();
      if (s != null) {
        throw s;
      }
    }

    @Override
    public void close() {
      synchronized (this) {
        closed = true;
      }
      ScheduledFuture<?> f = future;
      if (f != null) {
        f.cancel(false);
      }
      if (stop != null) {
        Thread.interrupted(); // the interrupt was for the call, which is over
      }
    }
  }
}
