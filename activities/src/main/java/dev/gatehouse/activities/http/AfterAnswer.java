package dev.gatehouse.activities.http;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work that a request thread may leave until it has answered its own caller. The direct path
 * opens a scope around a call and closes it once the agent's answer is written; what an upstream
 * exchange still has to do then (read the last chunk of a body whose message already came, so the
 * connection can be kept) runs at the close, instead of before the answer. By then that chunk has
 * usually arrived, so the thread reads it without waiting for it, and the agent did not wait for
 * it either. Outside a scope (an activity on a worker) such work runs at once.
 *
 * <p>A scope belongs to the thread that opened it; scopes nest.
 */
public final class AfterAnswer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AfterAnswer.class);
  private static final ThreadLocal<AfterAnswer> CURRENT = new ThreadLocal<>();

  private final AfterAnswer outer;
  private List<Runnable> work;

  private AfterAnswer(AfterAnswer outer) {
    this.outer = outer;
  }

  /** Opens a scope on this thread: {@link #later} work waits for its {@link #close()}. */
  public static AfterAnswer open() {
    AfterAnswer scope = new AfterAnswer(CURRENT.get());
    CURRENT.set(scope);
    return scope;
  }

  /** True when this thread has a scope open, so {@link #later} would wait. */
  public static boolean deferring() {
    return CURRENT.get() != null;
  }

  /** Runs {@code task} when this thread's scope closes, or now when it has none. */
  public static void later(Runnable task) {
    AfterAnswer scope = CURRENT.get();
    if (scope == null) {
      task.run();
      return;
    }
    if (scope.work == null) {
      scope.work = new ArrayList<>(2);
    }
    scope.work.add(task);
  }

  /** Ends the scope and runs its work, in order; one that fails does not keep the others from running. */
  @Override
  public void close() {
    if (outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(outer);
    }
    if (work == null) {
      return;
    }
    for (Runnable task : work) {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.debug("work left until after an answer failed: {}", e.toString());
      }
    }
    work = null;
  }
}
