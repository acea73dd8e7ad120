package dev.gatehouse.registry.tasks;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindList;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The archived workflow histories of tasks that ended ({@code task_histories}). */
@RegisterConstructorMapper(TaskHistoryDao.Archived.class)
public interface TaskHistoryDao {

  /** One archived history: {@code history} is null when the engine had lost it before it could be archived. */
  record Archived(String taskId, String tenantId, int runs, int events, int bytes, byte[] history) {}

  /**
   * {@link #insert}'s statement: the history row, and the task's flag that keeps it out of {@link
   * #claim} (set whether this statement or another replica's wrote the row); answers whether
   * this one wrote it.
   */
  String INSERT =
      "WITH written AS (INSERT INTO task_histories (task_id, tenant_id, runs, events, bytes, history) "
          + "VALUES (:taskId, :tenantId, :runs, :events, :bytes, :history) ON CONFLICT (task_id) DO NOTHING RETURNING task_id), "
          + "flagged AS (UPDATE tasks SET history_archived = true WHERE id = :taskId AND NOT history_archived) "
          + "SELECT count(*) > 0 FROM written";

  /** A task that ended and whose history is not archived yet. */
  record Pending(String id, String tenantId) {}

  /** Archives a task's history once; false when it was archived already (by this or another replica). */
  @SqlQuery(INSERT)
  boolean insert(
      @Bind("taskId") String taskId,
      @Bind("tenantId") String tenantId,
      @Bind("runs") int runs,
      @Bind("events") int events,
      @Bind("bytes") int bytes,
      @Bind("history") byte[] history);

  /** Which of {@code ids} (not empty) have an archived history. */
  @SqlQuery("SELECT task_id FROM task_histories WHERE task_id IN (<ids>) AND history IS NOT NULL")
  List<String> archivedAmong(@BindList("ids") List<String> ids);

  @SqlQuery("SELECT task_id, tenant_id, runs, events, bytes, history FROM task_histories WHERE task_id = :taskId")
  Optional<Archived> find(@Bind("taskId") String taskId);

  /**
   * Those of {@code ids} (not empty) whose history is not archived yet and may still be: tasks
   * that run, or ended in the last {@code days} days.
   */
  @SqlQuery(
      "SELECT id FROM tasks WHERE id IN (<ids>) AND NOT history_archived "
          + "AND (closed_at IS NULL OR closed_at > now() - make_interval(days => :days))")
  List<String> unarchivedAmong(@BindList("ids") List<String> ids, @Bind("days") int days);

  /**
   * Claims for this replica up to {@code limit} tasks that ended in the last {@code days} days and
   * have no archived history yet, newest first: each is leased for {@code leaseSeconds}, and no
   * other claim takes it until the lease runs out or is {@link #release released}. Tasks another
   * claim is taking at this moment are skipped, not waited for, so replicas claim side by side
   * and never the same task. They are read from an index that holds only such tasks ({@code
   * tasks_history_pending}), so a claim costs what is pending, not how many tasks ended in the
   * window.
   */
  @SqlQuery(
      "WITH claimed AS (UPDATE tasks t SET history_claimed_until = now() + make_interval(secs => :leaseSeconds) "
          + "FROM (SELECT id FROM tasks WHERE closed_at > now() - make_interval(days => :days) AND closed_at IS NOT NULL "
          + "AND NOT history_archived AND status <> 'RUNNING' "
          + "AND (history_claimed_until IS NULL OR history_claimed_until <= now()) "
          + "ORDER BY closed_at DESC LIMIT :limit FOR UPDATE SKIP LOCKED) pending "
          + "WHERE t.id = pending.id RETURNING t.id, t.tenant_id, t.closed_at) "
          + "SELECT id, tenant_id FROM claimed ORDER BY closed_at DESC")
  @RegisterConstructorMapper(Pending.class)
  List<Pending> claim(@Bind("days") int days, @Bind("limit") int limit, @Bind("leaseSeconds") int leaseSeconds);

  /**
   * Gives back the claims on {@code ids} (not empty) whose history is still not archived, so the
   * next claim, this replica's or another's, may take them at once.
   */
  @SqlUpdate("UPDATE tasks SET history_claimed_until = NULL WHERE id IN (<ids>) AND NOT history_archived AND history_claimed_until IS NOT NULL")
  int release(@BindList("ids") List<String> ids);
}
