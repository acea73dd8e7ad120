package dev.gatehouse.activities.mcp;

import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * One transport's delivery lane: where what its server sends reaches the SDK client's handlers,
 * one task at a time in the order given, and off the HTTP client's selector thread (a handler may
 * block: relaying to an agent, writing to the database, and the selector serves every transport).
 */
final class DeliveryLane {
  private final Scheduler.Worker worker = Schedulers.boundedElastic().createWorker();
  /** Tasks given to the lane and not yet finished. */
  private final AtomicInteger queued = new AtomicInteger();

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
