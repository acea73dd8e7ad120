package dev.gatehouse.registry.tasks;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * Gatehouse's own task index. The workflow history is the source of truth; this table answers
 * "which tasks does this agent have" without visibility queries.
 */
@RegisterRowMapper(TaskIndexDao.TaskMapper.class)
public interface TaskIndexDao {

  /**
   * Inserts a RUNNING row that its run timeout ends at {@code deadline} (null: none known, open
   * until closed); returns false (and changes nothing) if the id exists.
   */
  @SqlUpdate(
      "INSERT INTO tasks (id, tenant_id, agent_id, workflow, status, idempotency_key, request_hash, deadline) "
          + "VALUES (:id, :tenantId, :agentId, :workflow, 'RUNNING', :idempotencyKey, :requestHash, :deadline) "
          + "ON CONFLICT (id) DO NOTHING")
  boolean insert(
      @Bind("id") String id,
      @Bind("tenantId") String tenantId,
      @Bind("agentId") String agentId,
      @Bind("workflow") String workflow,
      @Bind("idempotencyKey") String idempotencyKey,
      @Bind("requestHash") String requestHash,
      @Bind("deadline") Instant deadline);

  /** {@link #insert(String, String, String, String, String, String, Instant)} without a deadline. */
  default boolean insert(
      String id, String tenantId, String agentId, String workflow, String idempotencyKey, String requestHash) {
    return insert(id, tenantId, agentId, workflow, idempotencyKey, requestHash, null);
  }

  /** Notes that the task's cancellation was asked for (the first time counts); false if it has ended. */
  @SqlUpdate(
      "UPDATE tasks SET cancel_requested_at = coalesce(cancel_requested_at, now()) "
          + "WHERE id = :id AND status = 'RUNNING'")
  boolean requestCancel(@Bind("id") String id);

  /** Running tasks whose cancellation was asked for before {@code before}, oldest request first. */
  @SqlQuery(
      "SELECT * FROM tasks WHERE status = 'RUNNING' AND cancel_requested_at < :before "
          + "ORDER BY cancel_requested_at LIMIT :limit")
  List<TaskRecord> cancelsRequestedBefore(@Bind("before") Instant before, @Bind("limit") int limit);

  /** The running tasks of agent {@code agentId}, oldest first. */
  @SqlQuery("SELECT * FROM tasks WHERE status = 'RUNNING' AND agent_id = :agentId ORDER BY created_at LIMIT :limit")
  List<TaskRecord> runningOf(@Bind("agentId") String agentId, @Bind("limit") int limit);

  /** Running tasks (of one agent, or of all when {@code agentId} is null) whose deadline has passed. */
  @SqlQuery(
      "SELECT * FROM tasks WHERE status = 'RUNNING' AND deadline < now() "
          + "AND (CAST(:agentId AS text) IS NULL OR agent_id = :agentId) ORDER BY deadline LIMIT :limit")
  List<TaskRecord> overdue(@Bind("agentId") String agentId, @Bind("limit") int limit);

  @SqlQuery("SELECT * FROM tasks WHERE id = :id")
  Optional<TaskRecord> find(@Bind("id") String id);

  /** Records how a task ended; a closed row is never changed again. */
  @SqlUpdate(
      "UPDATE tasks SET status = :status, error_code = :errorCode, error_message = :errorMessage, "
          + "closed_at = now() WHERE id = :id AND status = 'RUNNING'")
  boolean close(
      @Bind("id") String id,
      @Bind("status") String status,
      @Bind("errorCode") String errorCode,
      @Bind("errorMessage") String errorMessage);

  /** Like {@link #close}, with the time the task really ended (as the workflow engine says). */
  @SqlUpdate(
      "UPDATE tasks SET status = :status, error_code = :errorCode, error_message = :errorMessage, "
          + "closed_at = :closedAt WHERE id = :id AND status = 'RUNNING'")
  boolean closeAt(
      @Bind("id") String id,
      @Bind("status") String status,
      @Bind("errorCode") String errorCode,
      @Bind("errorMessage") String errorMessage,
      @Bind("closedAt") Instant closedAt);

  @SqlUpdate("DELETE FROM tasks WHERE id = :id AND status = 'RUNNING'")
  void deleteRunning(@Bind("id") String id);

  /**
   * One page of an agent's tasks, newest first. {@code status} null means any; the cursor is the
   * (createdAt, id) of the last row of the previous page, or nulls for the first page.
   */
  @SqlQuery(
      "SELECT * FROM tasks WHERE agent_id = :agentId "
          + "AND (CAST(:status AS text) IS NULL OR status = :status) "
          + "AND (CAST(:afterCreated AS timestamptz) IS NULL "
          + "     OR (created_at, id) < (CAST(:afterCreated AS timestamptz), :afterId)) "
          + "ORDER BY created_at DESC, id DESC LIMIT :limit")
  List<TaskRecord> page(
      @Bind("agentId") String agentId,
      @Bind("status") String status,
      @Bind("afterCreated") OffsetDateTime afterCreated,
      @Bind("afterId") String afterId,
      @Bind("limit") int limit);

  /**
   * Writes a {@code task.approval.cancel} audit row for each call that a RUNNING task older than
   * {@code before} asked approval for ({@code task.approval.request}) and that no decision taken,
   * expiry or cancel has answered since: run before {@link #closeRunningBefore} closes those tasks,
   * as the workflow, which the engine no longer has, would have written them. Keyed as the workflow
   * keys its own, so a row written already is not written twice. Returns how many rows.
   */
  @SqlUpdate(
      "INSERT INTO audit_log (at, tenant_id, agent_id, actor, task_id, action, target, decision, outcome, policy, detail, dedupe_key) "
          + "SELECT now(), r.tenant_id, r.agent_id, r.actor, r.task_id, 'task.approval.cancel', r.target, 'deny', 'canceled', "
          + "r.policy, r.detail, replace(r.dedupe_key, '/task.approval.request/', '/task.approval.cancel/') "
          + "FROM audit_log r JOIN tasks t ON t.id = r.task_id "
          + "WHERE t.status = 'RUNNING' AND t.created_at < :before AND r.action = 'task.approval.request' "
          + "AND NOT EXISTS (SELECT 1 FROM audit_log d WHERE d.task_id = r.task_id AND d.target = r.target AND d.at >= r.at "
          + "AND (d.action IN ('task.approval.expire', 'task.approval.cancel') "
          + "OR (d.action IN ('task.approval.approve', 'task.approval.deny') AND d.outcome = 'ok'))) "
          + "ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING")
  int auditApprovalsLeftBefore(@Bind("before") OffsetDateTime before);

  /**
   * Closes the RUNNING rows older than {@code before}, whose workflows the engine no longer has: as
   * FAILED with {@code code} and {@code message}, or, when a cancel of the task was accepted before,
   * as CANCELED with {@code canceledCode} and {@code canceledMessage} (a cancel always ends its
   * task as CANCELED).
   */
  @SqlUpdate(
      "UPDATE tasks SET "
          + "status = CASE WHEN cancel_requested_at IS NULL THEN 'FAILED' ELSE 'CANCELED' END, "
          + "error_code = CASE WHEN cancel_requested_at IS NULL THEN :code ELSE :canceledCode END, "
          + "error_message = CASE WHEN cancel_requested_at IS NULL THEN :message ELSE :canceledMessage END, "
          + "closed_at = now() WHERE status = 'RUNNING' AND created_at < :before")
  int closeRunningBefore(
      @Bind("before") OffsetDateTime before,
      @Bind("code") String code,
      @Bind("message") String message,
      @Bind("canceledCode") String canceledCode,
      @Bind("canceledMessage") String canceledMessage);

  class TaskMapper implements RowMapper<TaskRecord> {
    @Override
    public TaskRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
      return new TaskRecord(
          rs.getString("id"),
          rs.getString("tenant_id"),
          rs.getString("agent_id"),
          rs.getString("workflow"),
          TaskStatus.valueOf(rs.getString("status")),
          rs.getString("idempotency_key"),
          rs.getString("request_hash"),
          rs.getString("error_code"),
          rs.getString("error_message"),
          instant(rs.getTimestamp("created_at")),
          instant(rs.getTimestamp("closed_at")),
          instant(rs.getTimestamp("deadline")),
          instant(rs.getTimestamp("cancel_requested_at")));
    }

    private static Instant instant(Timestamp ts) {
      return ts == null ? null : ts.toInstant();
    }
  }

  /**
   * Deletes up to {@code limit} tasks that closed before {@code before}, oldest first, with their
   * archived histories and stored results; returns how many tasks. Audit and usage rows stay (they
   * name the task's id). A task still running is never deleted, however old.
   */
  @SqlUpdate(
      "WITH gone AS (SELECT id FROM tasks WHERE closed_at IS NOT NULL AND closed_at < :before AND status <> 'RUNNING' "
          + "ORDER BY closed_at LIMIT :limit FOR UPDATE SKIP LOCKED), "
          + "histories AS (DELETE FROM task_histories WHERE task_id IN (SELECT id FROM gone)), "
          + "results AS (DELETE FROM task_results WHERE task_id IN (SELECT id FROM gone)) "
          + "DELETE FROM tasks WHERE id IN (SELECT id FROM gone)")
  int deleteClosedBefore(@Bind("before") java.time.Instant before, @Bind("limit") int limit);
}
