package dev.gatehouse.activities.usage;

import dev.gatehouse.registry.usage.UsageDao;
import dev.gatehouse.registry.usage.UsageRecord;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes usage rows without holding up the call that made them: {@link #record} only queues, and
 * a background thread inserts in batches, lingering a little after a batch's first row (50 ms by
 * default, at most the interval) so a steady stream of calls costs one insert per batch, as
 * {@code AuditLog} does. Unlike the audit log, a full queue never makes the caller wait: the row
 * is dropped and counted ({@link #dropped}), since a model call must not stall on bookkeeping. A
 * batch the database refuses for a row's content (a data or constraint error) is written row by
 * row and only the refused rows are dropped; any other failure (the database is away) is retried
 * every second until {@link #close}, which writes whatever is queued.
 */
public class UsageLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UsageLog.class);
  private static final int BATCH = 500;
  static final Duration LINGER = Duration.ofMillis(50);

  private final Jdbi jdbi;
  private final BlockingQueue<UsageRecord> queue;
  private final Duration interval;
  private final long lingerMillis;
  private final Thread writer;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  // Rows handed to the writer, and of those the rows it is done with (written or dropped).
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong settled = new AtomicLong();
  private final Object flushed = new Object();
  private volatile boolean closing;

  public UsageLog(Jdbi jdbi, int queueSize, Duration flushInterval) {
    this(jdbi, queueSize, flushInterval, LINGER);
  }

  /**
   * {@code queueSize} rows may wait in memory; the writer looks for rows every {@code
   * flushInterval} and waits up to {@code linger} (never longer than the interval) after a batch's
   * first row for more.
   */
  public UsageLog(Jdbi jdbi, int queueSize, Duration flushInterval, Duration linger) {
    this.jdbi = jdbi;
    this.queue = new ArrayBlockingQueue<>(queueSize);
    this.interval = flushInterval;
    this.lingerMillis = Math.min(linger.toMillis(), flushInterval.toMillis());
    this.writer = new Thread(this::run, "usage-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Queues one row; never blocks the caller and never throws. A row that finds the queue full is dropped. */
  public void record(UsageRecord row) {
    if (row == null) {
      return;
    }
    // Counted before it is offered, so a flush that sees a later row in the queue also counts this one.
    queued.incrementAndGet();
    if (writer == null || closing || !queue.offer(row)) {
      queued.decrementAndGet();
      drop(1, writer == null ? "no usage database" : closing ? "the usage log is closed" : "the usage queue is full");
    }
  }

  /** Blocks until every row recorded before this call is written or dropped, or 10 s have passed (for tests). */
  public void flush() throws InterruptedException {
    long target = queued.get();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    synchronized (flushed) {
      while (settled.get() < target && System.nanoTime() < deadline) {
        flushed.wait(50);
      }
    }
  }

  /** Writes what is queued and stops the writer; rows recorded from now on are dropped. Never throws. */
  @Override
  public void close() {
    closing = true;
    if (writer == null) {
      return;
    }
    writer.interrupt();
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<UsageRecord> rest = new ArrayList<>();
    queue.drainTo(rest);
    if (!rest.isEmpty()) {
      int size = rest.size();
      settle(size, rest, writeOrSplit(rest));
    }
  }

  /** How many inserts the log has made (each of one batch of rows). */
  public long batchesWritten() {
    return batches.get();
  }

  /** How many rows were never written: the queue was full, the log closed, or the database refused them. */
  public long dropped() {
    return dropped.get();
  }

  private void run() {
    List<UsageRecord> batch = new ArrayList<>(BATCH);
    while (!closing) {
      try {
        UsageRecord first = queue.poll(interval.toMillis(), TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        if (lingerMillis > 0 && queue.size() < BATCH - 1) {
          Thread.sleep(lingerMillis); // let the rows recorded meanwhile join this insert
        }
        queue.drainTo(batch, BATCH - 1);
        int size = batch.size();
        Result result = writeOrSplit(batch);
        while (result == Result.RETRY && !closing) {
          Thread.sleep(1000);
          result = writeOrSplit(batch);
        }
        if (result == Result.RETRY) {
          result = writeOrSplit(batch); // last try before the process goes
        }
        settle(size, batch, result);
      } catch (InterruptedException e) {
        if (!batch.isEmpty()) {
          int size = batch.size();
          settle(size, batch, writeOrSplit(batch));
        }
        return;
      }
    }
  }

  /** The writer is done with {@code size} rows; those left in {@code unwritten} after a RETRY are dropped. */
  private void settle(int size, List<UsageRecord> unwritten, Result result) {
    if (result == Result.RETRY) {
      drop(unwritten.size(), "the usage database could not be reached");
    }
    unwritten.clear();
    settled.addAndGet(size);
    synchronized (flushed) {
      flushed.notifyAll();
    }
  }

  private enum Result {
    WRITTEN,
    RETRY
  }

  /**
   * Inserts {@code rows} and empties the list. When the database refuses their content, inserts
   * them one by one and drops those it refuses. RETRY when the database could not be used: the
   * list then holds the rows still to write (none is written twice).
   */
  private Result writeOrSplit(List<UsageRecord> rows) {
    try {
      insert(rows);
      rows.clear();
      return Result.WRITTEN;
    } catch (RuntimeException e) {
      if (!refusedContent(e)) {
        LOG.warn("could not write {} usage rows; will retry: {}", rows.size(), reason(e));
        return Result.RETRY;
      }
    }
    for (var it = rows.iterator(); it.hasNext(); ) {
      UsageRecord row = it.next();
      try {
        insert(List.of(row));
      } catch (RuntimeException e) {
        if (!refusedContent(e)) {
          return Result.RETRY;
        }
        drop(1, "the database refused a usage row (request " + row.requestId() + "): " + reason(e));
      }
      it.remove();
    }
    return Result.WRITTEN;
  }

  private void insert(List<UsageRecord> rows) {
    jdbi.useExtension(UsageDao.class, dao -> dao.insert(rows));
    batches.incrementAndGet();
  }

  /** A data exception (SQLSTATE class 22, e.g. a NUL in text) or a constraint violation (23): retrying will not help. */
  private static boolean refusedContent(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("22") || state.startsWith("23")) {
          return true;
        }
      }
    }
    return false;
  }

  /** The database's own words (the statement and its arguments, which JDBI's message adds, are left out). */
  private static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        return sql.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }

  private void drop(int rows, String why) {
    long before = dropped.getAndAdd(rows);
    long after = before + rows;
    // The first drop, and then one line per thousand, so a flood of drops does not flood the log.
    if (before == 0 || before / 1000 != after / 1000) {
      LOG.warn("dropped {} usage row(s), {} in all: {}", rows, after, why);
    }
  }
}
