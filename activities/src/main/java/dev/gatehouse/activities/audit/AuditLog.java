package dev.gatehouse.activities.audit;

import dev.gatehouse.activities.batch.BatchQueue;
import dev.gatehouse.registry.audit.AuditDao;
import dev.gatehouse.registry.audit.AuditEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit rows off the request path through a {@link BatchQueue}: a steady stream of calls
 * costs one insert per batch rather than one per row (on a busy gateway, per-row inserts took a
 * third of its CPU). A full queue makes the caller write its row itself rather than drop it, and
 * {@link #close} writes whatever is queued, so a clean shutdown loses nothing. Failed batches are
 * retried until the queue is closed.
 */
public final class AuditLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  static final Duration LINGER = Duration.ofMillis(50);

  private final Jdbi jdbi;
  private final AtomicLong batches = new AtomicLong();
  private final BatchQueue<AuditEvent> queue;

  public AuditLog(Jdbi jdbi, int capacity, Duration interval) {
    this(jdbi, capacity, interval, LINGER);
  }

  /**
   * {@code capacity} rows may wait in memory; the writer looks for rows every {@code interval} and
   * waits up to {@code linger} (never longer than the interval) after a batch's first row for more.
   */
  public AuditLog(Jdbi jdbi, int capacity, Duration interval, Duration linger) {
    this.jdbi = jdbi;
    this.queue = new BatchQueue<>("audit-writer", capacity, interval, linger, this::write);
  }

  public void record(AuditEvent event) {
    if (!queue.offer(event)) {
      write(new ArrayList<>(List.of(event)));
    }
  }

  /**
   * Writes {@code events} now, each at most once however often it is recorded: a row whose {@code
   * keys} entry the log holds already is skipped ({@link AuditDao#appendOnce}). For rows written by
   * a local activity, which the engine may run again; a failure goes to the caller, whose retry
   * then writes what is missing.
   */
  public void recordOnce(List<AuditEvent> events, List<String> keys) {
    jdbi.useHandle(h -> AuditDao.appendOnce(h.getConnection(), events, keys));
  }

  /** Blocks until every row recorded before this call is written (for tests and shutdown). */
  public void flush() throws InterruptedException {
    queue.flush();
  }

  @Override
  public void close() throws InterruptedException {
    queue.close();
  }

  /** How many inserts the log has made (each of one batch of rows). */
  public long batchesWritten() {
    return batches.get();
  }

  private boolean write(List<AuditEvent> events) {
    try {
      // a plain handle: attaching the SQL object would prepare all of its methods for each batch
      jdbi.useHandle(h -> AuditDao.append(h.getConnection(), events));
      batches.incrementAndGet();
      events.clear();
      return true;
    } catch (RuntimeException e) {
      LOG.warn("could not write {} audit rows; will retry: {}", events.size(), e.getMessage());
      return false;
    }
  }
}
