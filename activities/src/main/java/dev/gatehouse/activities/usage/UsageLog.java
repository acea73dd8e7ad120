package dev.gatehouse.activities.usage;

import dev.gatehouse.activities.batch.BatchQueue;
import dev.gatehouse.registry.db.CopyRows;
import dev.gatehouse.registry.usage.UsageDao;
import dev.gatehouse.registry.usage.UsageRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes usage rows without holding up the call that made them, through a {@link BatchQueue} as
 * {@code AuditLog} does (one insert per batch; 50 ms of linger by default). Unlike the audit log, a full queue never makes the caller wait: the row
 * is dropped and counted ({@link #dropped}), since a model call must not stall on bookkeeping. A
 * batch the database refuses for a row's content (a data or constraint error) is written row by
 * row and only the refused rows are dropped; any other failure (the database is away) is retried
 * every second until {@link #close}, which writes whatever is queued.
 */
public class UsageLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UsageLog.class);
  static final Duration LINGER = Duration.ofMillis(50);

  private final Jdbi jdbi;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final BatchQueue<UsageRecord> queue;

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
    this.queue =
        new BatchQueue<>(
            "usage-writer",
            queueSize,
            flushInterval,
            linger,
            new BatchQueue.Sink<>() {
              @Override
              public boolean write(List<UsageRecord> rows) {
                return writeOrSplit(rows);
              }

              @Override
              public void giveUp(List<UsageRecord> rows) {
                drop(rows.size(), "the usage database could not be reached");
              }
            });
  }

  /** Queues one row; never blocks the caller and never throws. A row that finds the queue full is dropped. */
  public void record(UsageRecord row) {
    if (row != null && !queue.offer(row)) {
      drop(1, queue.closing() ? "the usage log is closed" : "the usage queue is full");
    }
  }

  /** Blocks until every row recorded before this call is written or dropped, or 10 s have passed (for tests). */
  public void flush() throws InterruptedException {
    queue.flush();
  }

  /** Writes what is queued and stops the writer; rows recorded from now on are dropped. Never throws. */
  @Override
  public void close() {
    try {
      queue.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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

  /**
   * Inserts {@code rows} and empties the list. When the database refuses their content, inserts
   * them one by one and drops those it refuses. False when the database could not be used: the
   * list then holds the rows still to write (none is written twice).
   */
  private boolean writeOrSplit(List<UsageRecord> rows) {
    try {
      insert(rows);
      rows.clear();
      return true;
    } catch (RuntimeException e) {
      if (!refusedContent(e)) {
        LOG.warn("could not write {} usage rows; will retry: {}", rows.size(), reason(e));
        return false;
      }
    }
    for (var it = rows.iterator(); it.hasNext(); ) {
      UsageRecord row = it.next();
      try {
        insert(List.of(row));
      } catch (RuntimeException e) {
        if (!refusedContent(e)) {
          return false;
        }
        drop(1, "the database refused a usage row (request " + row.requestId() + "): " + reason(e));
      }
      it.remove();
    }
    return true;
  }

  private void insert(List<UsageRecord> rows) {
    if (rows.size() > 1) {
      jdbi.useHandle(
          h -> {
            try {
              if (CopyRows.supported(h.getConnection())) {
                copy(h.getConnection(), rows);
              } else {
                h.attach(UsageDao.class).insert(rows);
              }
            } catch (SQLException e) {
              throw new UnableToExecuteStatementException(e, null);
            }
          });
    } else {
      jdbi.useExtension(UsageDao.class, dao -> dao.insert(rows));
    }
    batches.incrementAndGet();
  }

  private static final String COPY =
      "COPY model_usage (at, tenant_id, agent_id, model, provider, provider_model, operation, input_tokens, cached_input_tokens, "
          + "output_tokens, reasoning_tokens, estimated, cost, latency_ms, ttft_ms, outcome, stream, task_id, step_id, request_id) "
          + "FROM STDIN";

  /**
   * A batch as one {@code COPY} ({@link CopyRows}). The same defaults as {@link UsageDao#insert}:
   * no {@code at} is now, no operation {@code chat}, no outcome {@code unknown}. A database that is
   * not PostgreSQL gets the inserts; one row too.
   */
  private static void copy(Connection connection, List<UsageRecord> rows) throws SQLException {
    CopyRows copy = new CopyRows(rows.size());
    for (UsageRecord r : rows) {
      copy.time(r.at() == null ? Instant.now() : r.at())
          .text(r.tenantId())
          .text(r.agentId())
          .text(r.model())
          .text(r.provider())
          .text(r.providerModel())
          .text(r.operation() == null ? "chat" : r.operation())
          .number(r.inputTokens())
          .number(r.cachedInputTokens())
          .number(r.outputTokens())
          .number(r.reasoningTokens())
          .bool(r.estimated())
          .number(r.cost())
          .number(r.latencyMs())
          .number(r.ttftMs())
          .text(r.outcome() == null ? "unknown" : r.outcome())
          .bool(r.stream())
          .text(r.taskId())
          .text(r.stepId())
          .text(r.requestId())
          .endRow();
    }
    copy.copyIn(connection, COPY);
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
