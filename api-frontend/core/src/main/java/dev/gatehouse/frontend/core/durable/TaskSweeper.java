package dev.gatehouse.frontend.core.durable;

import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tasks.TaskRecord;
import dev.gatehouse.registry.tasks.TaskResultDao;
import io.dropwizard.lifecycle.Managed;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes in the task index what no workflow code reports, without waiting for anyone to read the
 * task: a task whose timeout has passed is recorded as it ended (TIMED_OUT, with the engine's
 * close time; one still running a little past it is terminated first, see {@link
 * DurableCalls#reconcile}), and a task whose cancellation was asked for more than {@code cancelGrace} ago and
 * that still runs (its workflow cannot process the request, for instance because its workflow
 * task keeps failing) is terminated and recorded CANCELED.
 *
 * <p>Both are found from the task index in PostgreSQL (the deadline and the cancel request are
 * recorded when the task starts and when the cancel is asked for), so the sweep picks up where
 * a stopped or crashed front end left off, and replicas may sweep side by side: every step is
 * idempotent (terminating a closed workflow fails harmlessly, a closed row is never changed).
 *
 * <p>Each pass also deletes the stored tool results ({@code task_results}) of tasks that ended
 * more than {@link #RESULT_RETENTION} ago, the window in which their histories are archived: a
 * trace read later still shows a result's reference and preview, but the result itself is gone
 * (404 {@code result_not_found}).
 *
 * <p>With a {@link #keepingTasksFor retention}, each pass also deletes the tasks that ended longer
 * ago than that, with their archived histories and stored results (their audit and usage rows
 * stay), oldest first, at most {@link #DELETE_BATCH} times {@link #DELETE_BATCHES} a pass.
 *
 * <p>On a thread of its own, every {@code interval}, it archives the histories of tasks that
 * ended ({@link HistoryArchive}) until none is left: under a sustained load it does not rest
 * while tasks wait, and cancels and timeouts are not held up behind it.
 */
public final class TaskSweeper implements Managed {
  private static final Logger LOG = LoggerFactory.getLogger(TaskSweeper.class);
  private static final int BATCH = 100;
  /** How long after its task ended a stored tool result is kept: the archive's window. */
  public static final Duration RESULT_RETENTION = Duration.ofDays(HistoryArchive.WINDOW_DAYS);
  /** The most stored results, and tasks past their retention, one pass deletes: batches of {@link #DELETE_BATCH}. */
  static final int DELETE_BATCH = 500;
  static final int DELETE_BATCHES = 10;
  /** How long a stopping front end goes on archiving what ended since the last pass. */
  private static final Duration STOP_ARCHIVE_BUDGET = Duration.ofSeconds(5);

  private final DurableCalls durable;
  private final TaskIndexDao index;
  private final TaskResultDao results;
  private final Duration cancelGrace;
  private final Duration interval;
  private final ScheduledExecutorService scheduler = daemon("task-sweeper");
  private final ScheduledExecutorService archiver = daemon("task-archiver");
  /** How long an ended task is kept; null: for ever. */
  private Duration retention;

  public TaskSweeper(Jdbi jdbi, DurableCalls durable, Duration cancelGrace, Duration interval) {
    this.durable = durable;
    this.index = jdbi.onDemand(TaskIndexDao.class);
    this.results = jdbi.onDemand(TaskResultDao.class);
    this.cancelGrace = cancelGrace;
    this.interval = interval;
  }

  /** Deletes tasks (with their histories and stored results) that ended more than {@code kept} ago; null keeps them. */
  public TaskSweeper keepingTasksFor(Duration kept) {
    this.retention = kept;
    return this;
  }

  @Override
  public void start() {
    // The first sweep runs at once: cancels requested before a restart are not left waiting.
    scheduler.scheduleWithFixedDelay(this::sweepQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    archiver.scheduleWithFixedDelay(this::archiveQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static ScheduledExecutorService daemon(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  @Override
  public void stop() {
    scheduler.shutdownNow();
    archiver.shutdownNow();
    // What ended since the last pass is archived before the engine goes (dev mode's dies with the process).
    try {
      if (scheduler.awaitTermination(5, TimeUnit.SECONDS) && archiver.awaitTermination(5, TimeUnit.SECONDS)) {
        durable.archive().archivePending(BATCH, STOP_ARCHIVE_BUDGET);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("could not archive the histories of tasks that ended: {}", e.toString());
    }
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.warn("task sweep failed: {}", e.toString());
    }
  }

  /** One pass; returns how many task rows it closed. */
  public int sweep() {
    int closed = 0;
    for (TaskRecord row : index.cancelsRequestedBefore(Instant.now().minus(cancelGrace), BATCH)) {
      closed += attempt(row, () -> {
        durable.endCanceled(row);
        return true;
      });
    }
    for (TaskRecord row : index.overdue(null, BATCH)) {
      closed += attempt(row, () -> durable.reconcile(row));
    }
    deleteOldResults();
    deleteOldTasks();
    return closed;
  }

  private void archiveQuietly() {
    try {
      durable.archive().archivePending(BATCH);
    } catch (RuntimeException e) {
      LOG.warn("could not archive the histories of tasks that ended: {}", e.toString());
    }
  }

  /** Deletes the stored results of tasks that ended more than {@link #RESULT_RETENTION} ago; returns how many. */
  int deleteOldResults() {
    Instant before = Instant.now().minus(RESULT_RETENTION);
    return deleteInBatches(n -> results.deleteEnded(before, n), "old stored tool results");
  }

  /** Deletes the tasks that ended more than the retention ago; returns how many. */
  int deleteOldTasks() {
    if (retention == null) {
      return 0;
    }
    Instant before = Instant.now().minus(retention);
    int deleted = deleteInBatches(n -> index.deleteClosedBefore(before, n), "tasks past their retention");
    if (deleted > 0) {
      LOG.info("deleted {} tasks that ended before {} (tasks.retention)", deleted, before);
    }
    return deleted;
  }

  /**
   * Runs {@code batch} (which deletes at most its argument, and says how many it did) until a
   * batch deletes fewer, at most {@link #DELETE_BATCHES} times; returns how many in all. A
   * failure is logged (as deleting {@code what}) and ends the pass's deletes.
   */
  private static int deleteInBatches(java.util.function.IntUnaryOperator batch, String what) {
    int deleted = 0;
    try {
      for (int i = 0; i < DELETE_BATCHES; i++) {
        int n = batch.applyAsInt(DELETE_BATCH);
        deleted += n;
        if (n < DELETE_BATCH) {
          break;
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("could not delete {}: {}", what, e.getClass().getSimpleName());
    }
    return deleted;
  }

  private static int attempt(TaskRecord row, java.util.function.BooleanSupplier step) {
    try {
      return step.getAsBoolean() ? 1 : 0;
    } catch (RuntimeException e) {
      LOG.warn("could not settle task {}: {}", row.id(), e.toString());
      return 0;
    }
  }
}
