package dev.gatehouse.frontend.core.durable;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.registry.tasks.TaskHistoryDao;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowNotFoundException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the workflow history of every task that ended in PostgreSQL ({@code task_histories}), so
 * its trace and its events outlive the engine: a dev restart, which loses the embedded engine's
 * workflows, and a cluster's retention period. Every run of the workflow is kept (an agent loop
 * continues as new), gzip-compressed; the archive is scoped to the task's tenant by the task's
 * own row (readers reach it only through a task the caller owns).
 *
 * <p>{@link TaskSweeper} archives what ended in the last {@link #WINDOW_DAYS} days, a batch per
 * sweep and once more when the process stops. Replicas archive side by side: each claims the
 * batch it archives ({@link TaskHistoryDao#claim}), so a task's history is read from the engine by
 * one replica, and archived once.
 */
public final class HistoryArchive {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryArchive.class);
  /** Tasks that ended longer ago than this are not looked for. */
  static final int WINDOW_DAYS = 7;
  /** The most runs of one task archived (a loop that continued as new more often keeps its last ones). */
  static final int MAX_RUNS = 100;
  /**
   * How long a claim keeps other replicas off the tasks it took: well beyond a batch's archiving,
   * and what a replica that died mid-batch delays its tasks by.
   */
  static final int CLAIM_SECONDS = 120;
  /** How many ids one statement of {@link #heldAmong} binds. */
  private static final int HELD_CHUNK = 1_000;

  /** One run of a workflow: its run id and its events. */
  public record Run(String runId, List<HistoryEvent> events) {}

  /** Named as the SQL objects' statements are (logs, pg_stat_activity). */
  private static final String INSERT = "/* HistoryArchive.insert */ " + TaskHistoryDao.INSERT;

  private final Jdbi jdbi;
  private final TaskHistoryDao histories;
  private final DurableCalls durable;
  private final GatehouseMetrics metrics;

  HistoryArchive(Jdbi jdbi, DurableCalls durable, GatehouseMetrics metrics) {
    this.jdbi = jdbi;
    this.histories = jdbi.onDemand(TaskHistoryDao.class);
    this.durable = durable;
    this.metrics = metrics;
  }

  /**
   * Archives the tasks that ended and are not archived yet, {@code batch} at a time, until none is
   * left, a batch archived none of its tasks (the engine cannot be asked now: tried again on the
   * next call), or {@code budget} has passed; returns how many it archived. One batch per call
   * would fall behind for good once tasks end faster than a batch per call (dev mode's engine then
   * drops their workflows before they are archived).
   */
  public int archivePending(int batch, java.time.Duration budget) {
    return archivePending(batch, System.nanoTime() + budget.toNanos(), true);
  }

  /** Like {@link #archivePending(int, java.time.Duration)} without a time bound, until the thread is interrupted. */
  public int archivePending(int batch) {
    return archivePending(batch, 0, false);
  }

  private int archivePending(int batch, long until, boolean bounded) {
    int archived = 0;
    while (!Thread.currentThread().isInterrupted()) {
      List<TaskHistoryDao.Pending> claimed = histories.claim(WINDOW_DAYS, batch, CLAIM_SECONDS);
      List<String> left = new ArrayList<>();
      int inBatch = 0;
      try {
        for (TaskHistoryDao.Pending task : claimed) {
          if (Thread.currentThread().isInterrupted()) {
            left.add(task.id());
            continue;
          }
          boolean done = false;
          try {
            done = archive(task.id(), task.tenantId());
          } catch (RuntimeException e) {
            LOG.warn("could not archive the history of task {}: {}", task.id(), e.toString());
          }
          inBatch += done ? 1 : 0;
          if (!done) {
            left.add(task.id());
          }
        }
      } finally {
        release(left);
      }
      archived += inBatch;
      if (claimed.size() < batch || inBatch == 0 || (bounded && System.nanoTime() - until >= 0)) {
        break;
      }
    }
    return archived;
  }

  /**
   * Gives back the claims on tasks this pass did not archive (the engine could not be asked, had
   * not closed the workflow yet, or the pass was interrupted), so they are not left waiting for
   * their lease to run out. When the database cannot be reached either, the leases run out.
   */
  private void release(List<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    try {
      histories.release(ids);
    } catch (RuntimeException e) {
      LOG.warn("could not give back the archive claims of {} task(s): {}", ids.size(), e.toString());
    }
  }

  /**
   * Those of {@code ids} (task ids, which are their workflows' ids) whose history is not archived
   * yet and may still be: what dev mode's engine must not drop ({@code EmbeddedTemporal.Holds}).
   */
  public java.util.Set<String> heldAmong(List<String> ids) {
    java.util.Set<String> held = new java.util.HashSet<>();
    for (int from = 0; from < ids.size(); from += HELD_CHUNK) {
      held.addAll(histories.unarchivedAmong(ids.subList(from, Math.min(ids.size(), from + HELD_CHUNK)), WINDOW_DAYS));
    }
    return held;
  }

  /**
   * Archives the history of task {@code id} of {@code tenant}, which has ended. False when the
   * engine could not be asked or has not closed the workflow yet (it is tried again later) or
   * another replica archived it first; a history the engine no longer has is recorded as lost.
   */
  boolean archive(String id, String tenant) {
    List<Run> runs;
    try {
      runs = durable.runs(id, MAX_RUNS);
    } catch (WorkflowNotFoundException e) {
      return insert(id, tenant, 0, 0, null);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return insert(id, tenant, 0, 0, null);
      }
      throw e;
    }
    if (!closed(runs)) {
      // The task index says the task ended, but the engine has not closed its workflow yet (the
      // index is written by the workflow just before it completes, or by the sweeper for a
      // workflow the engine is about to time out): archived on a later pass, whole.
      return false;
    }
    byte[] encoded = encode(runs);
    int events = runs.stream().mapToInt(r -> r.events().size()).sum();
    return insert(id, tenant, runs.size(), events, encoded);
  }

  /**
   * {@link TaskHistoryDao#insert} through Jdbi's fluent API: an on-demand SQL object builds its
   * extension on every call, which was a third of an archived task's cost.
   */
  private boolean insert(String id, String tenant, int runs, int events, byte[] history) {
    boolean written = jdbi.withHandle(
        h -> h.createQuery(INSERT)
            .bind("taskId", id)
            .bind("tenantId", tenant)
            .bind("runs", runs)
            .bind("events", events)
            .bind("bytes", history == null ? 0 : history.length)
            .bind("history", history)
            .mapTo(Boolean.class)
            .one());
    if (written) {
      metrics.historyArchived(history != null);
    }
    return written;
  }

  /** True when the last run's last event closes the workflow. */
  static boolean closed(List<Run> runs) {
    if (runs.isEmpty()) {
      return false;
    }
    List<HistoryEvent> events = runs.get(runs.size() - 1).events();
    if (events.isEmpty()) {
      return false;
    }
    return switch (events.get(events.size() - 1).getEventType()) {
      case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
          EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
          EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
          EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
          EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT -> true;
      default -> false;
    };
  }

  /** Which of {@code ids} have an archived history. */
  public java.util.Set<String> archived(List<String> ids) {
    return ids.isEmpty() ? java.util.Set.of() : java.util.Set.copyOf(histories.archivedAmong(ids));
  }

  /** The archived runs of task {@code id}; empty when it is not archived, or the engine had lost it first. */
  public Optional<List<Run>> load(String id) {
    return histories.find(id).filter(a -> a.history() != null).map(a -> decode(a.history()));
  }

  /** The bytes {@link #decode} reads back: every run, gzip-compressed. */
  public static byte[] encode(List<Run> runs) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes))) {
      out.writeInt(runs.size());
      for (Run run : runs) {
        out.writeUTF(run.runId());
        History.newBuilder().addAllEvents(run.events()).build().writeDelimitedTo(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The runs an archived history holds (as {@link #load} returns them), for readers of the table itself. */
  public static List<Run> decode(byte[] encoded) {
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(new ByteArrayInputStream(encoded)))) {
      int n = in.readInt();
      List<Run> runs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String runId = in.readUTF();
        runs.add(new Run(runId, History.parseDelimitedFrom(in).getEventsList()));
      }
      return runs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
