package dev.gatehouse.activities.mcp;

import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.scheduler.Scheduler;

/**
 * One transport's delivery lane: where what its server sends reaches the SDK client's handlers,
 * one task at a time in the order given, and off the HTTP client's selector thread (a handler may
 * block: relaying to an agent, writing to the database, and the selector serves every transport).
 *
 * <p>Lanes run on threads of their own ({@link McpThreads}), not on Reactor's shared {@code
 * boundedElastic} pool, which also serves the MCP face's requests: a handler blocked writing to an
 * agent that does not read its stream held a thread of that pool, and an audit stalled every
 * agent's {@code tools/list} for 10 s with 22 such sessions. And what a server may send without
 * end and an agent can do without (progress, log messages, resource updates: {@link #offer}) is
 * dropped once {@link #MAX_WAITING} tasks wait in the lane, so a lane whose agent does not read
 * cannot grow without bound either (an audit saw the heap grow 97 MB for one such session).
 */
final class DeliveryLane {
  /** The most tasks that may wait in one lane before what {@link #offer} is given is dropped. */
  static final int MAX_WAITING = 64;

  private final Scheduler.Worker worker = McpThreads.delivery().createWorker();
  /** Tasks given to the lane and not yet finished. */
  private final AtomicInteger queued = new AtomicInteger();
  /** Tasks {@link #offer} dropped. */
  private final AtomicInteger dropped = new AtomicInteger();

  /**
   * Runs {@code task} after every task given before it, unless {@link #MAX_WAITING} tasks are
   * waiting already; false when it was dropped.
   */
  boolean offer(Runnable task) {
    if (queued.get() >= MAX_WAITING) {
      dropped.incrementAndGet();
      return false;
    }
    run(task);
    return true;
  }

  /** How many tasks {@link #offer} has dropped. */
  int dropped() {
    return dropped.get();
  }

  /** Runs {@code task} after every task given before it. */
  void run(Runnable task) {
    queued.incrementAndGet();
    try {
      worker.schedule(
          () -> {
            try {
              task.run();
            } finally {
              queued.decrementAndGet();
            }
          });
    } catch (RuntimeException rejected) {
      queued.decrementAndGet();
      task.run(); // the lane is closed: late messages are still handed over
    }
  }

  /**
   * Runs {@code task} at once on the calling thread when the lane is idle, else after what is in
   * it: for a task that only completes a future, a hop to the lane's thread would cost more than
   * the task.
   */
  void runNowIfIdle(Runnable task) {
    if (queued.get() == 0) {
      task.run();
    } else {
      run(task);
    }
  }

  /** Closes the lane after the tasks already in it; later tasks run on the caller's thread. */
  void close() {
    run(worker::dispose);
  }
}
