package dev.gatehouse.registry.tasks;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMappers;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindList;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * Large tool results of agent tasks kept outside the workflow history ({@code task_results}).
 * Every read names the task and its tenant along with the id: a row is found only by the task
 * that stored it.
 */
@RegisterConstructorMappers({
  @RegisterConstructorMapper(TaskResultDao.Stored.class),
  @RegisterConstructorMapper(TaskResultDao.Size.class),
  @RegisterConstructorMapper(TaskResultDao.Start.class)
})
public interface TaskResultDao {

  /**
   * One stored result: {@code chars} is the result's length, {@code stored} what {@code content}
   * (gzip-compressed UTF-8, see {@link StoredText}) holds of it with the note of a cut.
   */
  record Stored(String id, String tenantId, String taskId, String stepId, int chars, int stored, byte[] content, Instant createdAt) {}

  @SqlUpdate(
      "INSERT INTO task_results (id, tenant_id, task_id, step_id, chars, stored, bytes, content) "
          + "VALUES (:id, :tenantId, :taskId, :stepId, :chars, :stored, :bytes, :content)")
  void insert(
      @Bind("id") String id,
      @Bind("tenantId") String tenantId,
      @Bind("taskId") String taskId,
      @Bind("stepId") String stepId,
      @Bind("chars") int chars,
      @Bind("stored") int stored,
      @Bind("bytes") int bytes,
      @Bind("content") byte[] content);

  /** Result {@code id} of task {@code taskId} in tenant {@code tenantId}; empty when there is none (or it is another's). */
  @SqlQuery(
      "SELECT id, tenant_id, task_id, step_id, chars, stored, content, created_at FROM task_results "
          + "WHERE id = :id AND task_id = :taskId AND tenant_id = :tenantId")
  Optional<Stored> find(@Bind("id") String id, @Bind("tenantId") String tenantId, @Bind("taskId") String taskId);

  /** How long a stored result is: {@code chars} the result's characters. */
  record Size(String id, int chars) {}

  /** The first bytes of a stored result's {@code content} (gzip-compressed UTF-8: {@link StoredText#decodeStart}). */
  record Start(String id, int chars, byte[] content) {}

  /** The sizes of those of {@code ids} (not empty) that task {@code taskId} of tenant {@code tenantId} stored. */
  @SqlQuery(
      "SELECT id, chars FROM task_results WHERE id IN (<ids>) AND task_id = :taskId AND tenant_id = :tenantId")
  List<Size> sizes(@BindList("ids") List<String> ids, @Bind("tenantId") String tenantId, @Bind("taskId") String taskId);

  /**
   * The first {@code bytes} bytes of the content of those of {@code ids} (not empty) that task
   * {@code taskId} of tenant {@code tenantId} stored (only those are read from storage).
   */
  @SqlQuery(
      "SELECT id, chars, substring(content FROM 1 FOR :bytes) AS content FROM task_results "
          + "WHERE id IN (<ids>) AND task_id = :taskId AND tenant_id = :tenantId")
  List<Start> starts(
      @BindList("ids") List<String> ids, @Bind("tenantId") String tenantId, @Bind("taskId") String taskId, @Bind("bytes") int bytes);

  /**
   * Deletes up to {@code limit} results older than {@code before} whose task ended before it too,
   * or is not in the task index; returns how many. A task still running keeps its results, however
   * old: its transcript refers to them.
   */
  @SqlUpdate(
      "DELETE FROM task_results WHERE id IN (SELECT r.id FROM task_results r LEFT JOIN tasks t ON t.id = r.task_id "
          + "WHERE r.created_at < :before AND (t.id IS NULL OR (t.status <> 'RUNNING' AND t.closed_at < :before)) "
          + "ORDER BY r.created_at LIMIT :limit)")
  int deleteEnded(@Bind("before") Instant before, @Bind("limit") int limit);
}
