package dev.gatehouse.activities.http;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work a request's thread leaves until its own answer has been written: what remains of an
 * upstream exchange once the part the answer needs has been read. An MCP server answers a {@code
 * tools/call} on an SSE stream and ends the stream after the response event, in a write of its
 * own; waiting for that end before answering the agent made the agent wait for the upstream to be
 * scheduled again, which on a busy host is often longer than the call itself. The frontend opens
 * a scope around a request it answers on its thread ({@link #open}) and closes it once the answer
 * is written; what is {@link #defer deferred} inside runs then, on the same thread, in order.
 *
 * <p>Outside a scope (a Temporal activity, a thread of Reactor's) nothing is deferred: the caller
 * does the work itself, as before. The scope belongs to one thread and is not shared.
 *
 * <p>At most {@link #MAX_SCOPES_WITH_WORK} scopes hold deferred work at once, in the whole
 * process; beyond that {@link #defer} returns false and the caller does its work at once, as
 * outside a scope. The frontend's admission limits count a request until its answer is in hand,
 * so without this bound the threads kept after their answers (up to the upstream's grace each,
 * when an upstream is slow to end its streams) would be bounded by nothing but the server's
 * thread pool.
 */
public final class AfterAnswer implements AutoCloseable {
  /** Scopes holding deferred work at once, in all: as many as the frontend's default {@code admission.maxDirectCalls}. */
  public static final int MAX_SCOPES_WITH_WORK = 128;

  private static final Logger LOG = LoggerFactory.getLogger(AfterAnswer.class);
  private static final ThreadLocal<AfterAnswer> CURRENT = new ThreadLocal<>();
  private static final Semaphore SCOPES_WITH_WORK = new Semaphore(MAX_SCOPES_WITH_WORK);

  private final AfterAnswer outer;
  /** Non-null once work was deferred here: the scope then holds one of {@link #SCOPES_WITH_WORK}. */
  private List<Runnable> deferred;
  private boolean closed;

  private AfterAnswer(AfterAnswer outer) {
    this.outer = outer;
  }

  /** Opens a scope on this thread; {@link #close} (after the answer is written) runs what was deferred in it. */
  public static AfterAnswer open() {
    AfterAnswer scope = new AfterAnswer(CURRENT.get());
    CURRENT.set(scope);
    return scope;
  }

  /**
   * Leaves {@code work} to the end of this thread's innermost open scope; false when no scope is
   * open, or {@link #MAX_SCOPES_WITH_WORK} other scopes already hold work (the caller then does it
   * now). It must not throw what it can handle, and must end on its own (bounded by a deadline of
   * its own): the thread waits for it.
   */
  public static boolean defer(Runnable work) {
    AfterAnswer scope = CURRENT.get();
    if (scope == null) {
      return false;
    }
    if (scope.deferred == null) {
      if (!SCOPES_WITH_WORK.tryAcquire()) {
        return false;
      }
      scope.deferred = new ArrayList<>(2);
    }
    scope.deferred.add(work);
    return true;
  }

  /**
   * Ends the scope: runs what was deferred in it, in order; a failure of one is logged and the rest
   * still run (an {@link Error} is thrown again once they have).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(outer);
    }
    List<Runnable> work = deferred;
    deferred = null;
    if (work == null) {
      return;
    }
    Error fatal = null;
    try {
      for (Runnable w : work) {
        try {
          w.run();
        } catch (RuntimeException e) {
          LOG.debug("work left until after the answer failed: {}", e.toString());
        } catch (Error e) {
          if (fatal == null) {
            fatal = e;
          }
        }
      }
    } finally {
      SCOPES_WITH_WORK.release();
    }
    if (fatal != null) {
      throw fatal;
    }
  }
}
