package dev.gatehouse.registry.tasks;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindList;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** The archived workflow histories of tasks that ended ({@code task_histories}). */
@RegisterConstructorMapper(TaskHistoryDao.Archived.class)
public interface TaskHistoryDao {

  /** One archived history: {@code history} is null when the engine had lost it before it could be archived. */
  record Archived(String taskId, String tenantId, int runs, int events, int bytes, byte[] history) {}

  /**
   * {@link #insert}'s statement: the history row, and the task's flag that keeps it out of {@link
   * #unarchived} (set whether this statement or another replica's wrote the row); answers whether
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
   * Tasks that ended in the last {@code days} days and have no archived history yet, newest first.
   * They are read from an index that holds only such tasks ({@code tasks_history_pending}), so a
   * pass costs what is pending, not how many tasks ended in the window.
   */
  @SqlQuery(
      "SELECT id, tenant_id FROM tasks WHERE closed_at > now() - make_interval(days => :days) AND closed_at IS NOT NULL "
          + "AND NOT history_archived AND status <> 'RUNNING' ORDER BY closed_at DESC LIMIT :limit")
  @RegisterConstructorMapper(Pending.class)
  List<Pending> unarchived(@Bind("days") int days, @Bind("limit") int limit);
}
