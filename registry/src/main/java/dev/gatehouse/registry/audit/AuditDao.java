package dev.gatehouse.registry.audit;

import java.time.OffsetDateTime;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** The audit log: rows are appended in batches and read back with filters; never changed. */
@RegisterConstructorMapper(AuditDao.Row.class)
public interface AuditDao {

  /** A stored row, with its sequence number (the cursor of the listing). */
  record Row(
      long id,
      java.time.Instant at,
      String tenantId,
      String agentId,
      String actor,
      String requestId,
      String taskId,
      String action,
      String target,
      String decision,
      String outcome,
      Integer latencyMs,
      String policy,
      String detail) {}

  @SqlBatch(
      "INSERT INTO audit_log (at, tenant_id, agent_id, actor, request_id, task_id, action, target, decision, outcome, latency_ms, policy, detail) "
          + "VALUES (CAST(:e.at AS timestamptz), :e.tenantId, :e.agentId, :e.actor, :e.requestId, :e.taskId, :e.action, :e.target, "
          + ":e.decision, :e.outcome, :e.latencyMs, :e.policy, :e.detail)")
  void append(@BindMethods("e") List<AuditEvent> events);

  /** Newest first. Every filter is optional (null); {@code before} is the id cursor. */
  @SqlQuery(
      "SELECT * FROM audit_log WHERE (CAST(:tenantId AS text) IS NULL OR tenant_id = :tenantId) "
          + "AND (CAST(:agentId AS text) IS NULL OR agent_id = :agentId) "
          + "AND (CAST(:action AS text) IS NULL OR action = :action) "
          + "AND (CAST(:outcome AS text) IS NULL OR outcome = :outcome) "
          + "AND (CAST(:since AS timestamptz) IS NULL OR at >= :since) "
          + "AND (CAST(:until AS timestamptz) IS NULL OR at < :until) "
          + "AND (CAST(:before AS bigint) IS NULL OR id < :before) "
          + "ORDER BY id DESC LIMIT :limit")
  List<Row> page(
      @Bind("tenantId") String tenantId,
      @Bind("agentId") String agentId,
      @Bind("action") String action,
      @Bind("outcome") String outcome,
      @Bind("since") OffsetDateTime since,
      @Bind("until") OffsetDateTime until,
      @Bind("before") Long before,
      @Bind("limit") int limit);
}
