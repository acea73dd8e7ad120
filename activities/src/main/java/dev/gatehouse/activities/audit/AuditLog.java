package dev.gatehouse.activities.audit;

import dev.gatehouse.registry.audit.AuditDao;
import dev.gatehouse.registry.audit.AuditEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit rows off the request path: {@link #record} only queues; a background thread
 * appends in batches. After the first row of a batch it waits a little (the linger, 50 ms by
 * default, at most the interval) for more, so a steady stream of calls costs one insert per batch
 * rather than one per row (on a busy gateway, per-row inserts took a third of its CPU). A full
 * queue makes the caller write its row itself rather than drop it, and {@link #close} writes
 * whatever is queued, so a clean shutdown loses nothing. Failed batches are retried until the
 * queue is closed.
 */
public final class AuditLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final int BATCH = 500;
  static final Duration LINGER = Duration.ofMillis(50);

  private final Jdbi jdbi;
  private final BlockingQueue<AuditEvent> queue;
  private final Duration interval;
  private final long lingerMillis;
  private final java.util.concurrent.atomic.AtomicLong batches = new java.util.concurrent.atomic.AtomicLong();
  // Rows handed to the writer, and of those the rows it is done with (written, or given up on at close).
  private final java.util.concurrent.atomic.AtomicLong queued = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong settled = new java.util.concurrent.atomic.AtomicLong();
  private final Thread writer;
  private final Object flushed = new Object();
  private volatile boolean closing;

  public AuditLog(Jdbi jdbi, int capacity, Duration interval) {
    this(jdbi, capacity, interval, LINGER);
  }

  /**
   * {@code capacity} rows may wait in memory; the writer looks for rows every {@code interval} and
   * waits up to {@code linger} (never longer than the interval) after a batch's first row for more.
   */
  public AuditLog(Jdbi jdbi, int capacity, Duration interval, Duration linger) {
    this.jdbi = jdbi;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.interval = interval;
    this.lingerMillis = Math.min(linger.toMillis(), interval.toMillis());
    this.writer = new Thread(this::run, "audit-writer");
    writer.setDaemon(true);
    writer.start();
  }

  public void record(AuditEvent event) {
    // Counted before it is offered, so a flush that sees a later row in the queue also counts this one.
    queued.incrementAndGet();
    if (closing || !queue.offer(event)) {
      queued.decrementAndGet();
      write(List.of(event));
    }
  }

  /** Blocks until every row recorded before this call is written (for tests and shutdown). */
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

  @Override
  public void close() throws InterruptedException {
    closing = true;
    writer.interrupt();
    writer.join(TimeUnit.SECONDS.toMillis(10));
    List<AuditEvent> rest = new ArrayList<>();
    queue.drainTo(rest);
    if (!rest.isEmpty()) {
      write(rest);
    }
  }

  private void run() {
    List<AuditEvent> batch = new ArrayList<>(BATCH);
    while (!closing) {
      try {
        AuditEvent first = queue.poll(interval.toMillis(), TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        if (lingerMillis > 0 && queue.size() < BATCH - 1) {
          Thread.sleep(lingerMillis); // let the rows recorded meanwhile join this insert
        }
        queue.drainTo(batch, BATCH - 1);
        boolean written = write(batch);
        while (!written && !closing) {
          Thread.sleep(1000);
          written = write(batch);
        }
        if (!written) {
          write(batch); // last try before the process goes
        }
        settled.addAndGet(batch.size());
        batch.clear();
        synchronized (flushed) {
          flushed.notifyAll();
        }
      } catch (InterruptedException e) {
        if (!batch.isEmpty()) {
          write(batch);
          settled.addAndGet(batch.size());
          batch.clear();
        }
        return;
      }
    }
  }

  /** How many inserts the log has made (each of one batch of rows). */
  public long batchesWritten() {
    return batches.get();
  }

  private boolean write(List<AuditEvent> events) {
    try {
      jdbi.useExtension(AuditDao.class, dao -> dao.append(events));
      batches.incrementAndGet();
      return true;
    } catch (RuntimeException e) {
      LOG.warn("could not write {} audit rows; will retry: {}", events.size(), e.getMessage());
      return false;
    }
  }
}
