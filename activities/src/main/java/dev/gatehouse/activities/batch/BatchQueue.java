package dev.gatehouse.activities.batch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rows written off the request path, in batches, by one background thread: {@link #offer} only
 * queues. After the first row of a batch the writer waits a little (the linger, at most the
 * interval) for more, so a steady stream of calls costs one insert per batch rather than one per
 * row. A batch its {@link Sink} could not write is retried every second until {@link #close},
 * which writes whatever is queued; what still cannot be written then is given up. What to do with
 * a row that finds the queue full is the caller's choice (the audit log writes it itself, the
 * usage log drops it).
 *
 * @param <T> the rows
 */
public final class BatchQueue<T> {
  static final int BATCH = 500;
  private static final long RETRY_MILLIS = 1000;

  /** Where the rows go. */
  public interface Sink<T> {
    /**
     * Writes {@code rows}, removing from the list every row it is done with (written, or refused
     * for good); false when the rows left should be tried again later.
     */
    boolean write(List<T> rows);

    /** The rows the writer gives up on: still not written when the queue closed. */
    default void giveUp(List<T> rows) {}
  }

  private final BlockingQueue<T> queue;
  private final Sink<T> sink;
  private final long intervalMillis;
  private final long lingerMillis;
  private final Thread writer;
  // Rows handed to the writer, and of those the rows it is done with (written or given up on).
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong settled = new AtomicLong();
  private final Object flushed = new Object();
  private volatile boolean closing;

  /**
   * {@code capacity} rows may wait in memory; the writer (a daemon thread named {@code name})
   * looks for rows every {@code interval} and waits up to {@code linger} (never longer than the
   * interval) after a batch's first row for more.
   */
  public BatchQueue(String name, int capacity, Duration interval, Duration linger, Sink<T> sink) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.sink = sink;
    this.intervalMillis = interval.toMillis();
    this.lingerMillis = Math.min(linger.toMillis(), interval.toMillis());
    this.writer = new Thread(this::run, name);
    writer.setDaemon(true);
    writer.start();
  }

  /** Queues {@code row}; false when the queue is full or closing (the row is then the caller's). */
  public boolean offer(T row) {
    // Counted before it is offered, so a flush that sees a later row in the queue also counts this one.
    queued.incrementAndGet();
    if (closing || !queue.offer(row)) {
      queued.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Whether {@link #close} has begun. */
  public boolean closing() {
    return closing;
  }

  /** Blocks until every row queued before this call is written or given up on, or 10 s have passed. */
  public void flush() throws InterruptedException {
    // Waiting for an empty queue is not enough: the writer may hold a drained batch it has not
    // committed yet (lingering for more rows, or inserting), so wait for the rows themselves.
    long target = queued.get();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    synchronized (flushed) {
      while (settled.get() < target && System.nanoTime() < deadline) {
        flushed.wait(50);
      }
    }
  }

  /** Stops the writer and writes what is queued; rows offered from now on are refused. */
  public void close() throws InterruptedException {
    closing = true;
    writer.interrupt();
    writer.join(TimeUnit.SECONDS.toMillis(10));
    List<T> rest = new ArrayList<>();
    queue.drainTo(rest);
    if (!rest.isEmpty()) {
      finish(rest);
    }
  }

  private void run() {
    List<T> batch = new ArrayList<>(BATCH);
    while (!closing) {
      try {
        T first = queue.poll(intervalMillis, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        if (lingerMillis > 0 && queue.size() < BATCH - 1) {
          Thread.sleep(lingerMillis); // let the rows recorded meanwhile join this insert
        }
        queue.drainTo(batch, BATCH - 1);
        int size = batch.size();
        boolean done = sink.write(batch);
        while (!done && !closing) {
          Thread.sleep(RETRY_MILLIS);
          done = sink.write(batch);
        }
        if (!done) {
          done = sink.write(batch); // last try before the process goes
        }
        if (!done) {
          sink.giveUp(batch);
        }
        settle(size, batch);
      } catch (InterruptedException e) {
        if (!batch.isEmpty()) {
          finish(batch);
        }
        return;
      }
    }
  }

  /** One last try at {@code rows}, then they are given up on. */
  private void finish(List<T> rows) {
    int size = rows.size();
    if (!sink.write(rows)) {
      sink.giveUp(rows);
    }
    settle(size, rows);
  }

  private void settle(int size, List<T> rows) {
    rows.clear();
    settled.addAndGet(size);
    synchronized (flushed) {
      flushed.notifyAll();
    }
  }
}
