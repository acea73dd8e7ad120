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

  /** {@link #insert}'s statement. */
  String INSERT =
      "INSERT INTO task_histories (task_id, tenant_id, runs, events, bytes, history) "
          + "VALUES (:taskId, :tenantId, :runs, :events, :bytes, :history) ON CONFLICT (task_id) DO NOTHING";

  /** A task that ended and whose history is not archived yet. */
  record Pending(String id, String tenantId) {}

  /** Archives a task's history once; false when it was archived already (by this or another replica). */
  @SqlUpdate(INSERT)
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
   * Tasks that ended in the last {@code days} days and have no archived history yet, newest first
   * (the scan is bounded by the window, not by how many tasks ever ran).
   */
  @SqlQuery(
      "SELECT t.id, t.tenant_id FROM tasks t WHERE t.closed_at > now() - make_interval(days => :days) AND t.status <> 'RUNNING' "
          + "AND NOT EXISTS (SELECT 1 FROM task_histories h WHERE h.task_id = t.id) ORDER BY t.closed_at DESC LIMIT :limit")
  @RegisterConstructorMapper(Pending.class)
  List<Pending> unarchived(@Bind("days") int days, @Bind("limit") int limit);
}
