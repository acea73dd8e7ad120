package dev.gatehouse.registry.audit;

import java.sql.Timestamp;
import java.time.OffsetDateTime;
import dev.gatehouse.registry.db.CopyRows;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.jdbi.v3.sqlobject.SqlObject;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** The audit log: rows are appended in batches and read back with filters; never changed. */
@RegisterConstructorMapper(AuditDao.Row.class)
public interface AuditDao extends SqlObject {

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

  /**
   * Appends rows in one batch: on PostgreSQL as one {@code COPY}, else (and for a single row) as
   * a batch of inserts with plain JDBC rather than JDBI's binding: every governed call writes a
   * row, and JDBI's per-row, per-argument lookups cost more than the insert.
   */
  default void append(List<AuditEvent> events) {
    append(getHandle().getConnection(), events);
  }

  /**
   * {@link #append(List)} on {@code connection}, for a writer that holds a plain handle: attaching
   * this SQL object to a handle prepares every method of it, for each batch (in a profile of the
   * audit writer at 16 clients, about half as much CPU again as the batch's own {@code COPY}).
   */
  static void append(java.sql.Connection connection, List<AuditEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    try {
      if (events.size() > 1 && CopyRows.supported(connection)) {
        copy(connection, events);
        return;
      }
    } catch (SQLException ex) {
      throw new UnableToExecuteStatementException(ex, null);
    }
    try (PreparedStatement ps =
        connection.prepareStatement(
                "INSERT INTO audit_log (at, tenant_id, agent_id, actor, request_id, task_id, action, target, decision, outcome, "
                    + "latency_ms, policy, detail) VALUES (CAST(? AS timestamptz), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      // The driver's own statement, not the pool's proxy of it: thirteen reflective calls a row
      // otherwise. The proxy still closes it.
      PreparedStatement raw = ps.isWrapperFor(PreparedStatement.class) ? ps.unwrap(PreparedStatement.class) : ps;
      for (AuditEvent e : events) {
        bind(raw, e);
        raw.addBatch();
      }
      raw.executeBatch();
    } catch (SQLException ex) {
      throw new UnableToExecuteStatementException(ex, null);
    }
  }

  /**
   * Appends rows that must be written once however often they are sent: each with its {@code
   * keys} entry, unique in the log, and a row whose key is there already is not written again.
   * For rows written by a local activity, which the engine runs again when it retries the
   * workflow task that ran it. Not batched into a {@code COPY}, which cannot skip a row.
   */
  static void appendOnce(java.sql.Connection connection, List<AuditEvent> events, List<String> keys) {
    if (events.size() != keys.size()) {
      throw new IllegalArgumentException("one key per row");
    }
    if (events.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO audit_log (at, tenant_id, agent_id, actor, request_id, task_id, action, target, decision, outcome, "
                + "latency_ms, policy, detail, dedupe_key) VALUES (CAST(? AS timestamptz), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING")) {
      for (int i = 0; i < events.size(); i++) {
        bind(ps, events.get(i));
        ps.setString(14, java.util.Objects.requireNonNull(keys.get(i), "key"));
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException ex) {
      throw new UnableToExecuteStatementException(ex, null);
    }
  }

  /** The first thirteen parameters of an insert: the row's columns, in the order of {@link #append}'s. */
  private static void bind(PreparedStatement raw, AuditEvent e) throws SQLException {
    raw.setTimestamp(1, e.at() == null ? null : Timestamp.from(e.at()));
    raw.setString(2, e.tenantId());
    raw.setString(3, e.agentId());
    raw.setString(4, e.actor());
    raw.setString(5, e.requestId());
    raw.setString(6, e.taskId());
    raw.setString(7, e.action());
    raw.setString(8, e.target());
    raw.setString(9, e.decision());
    raw.setString(10, e.outcome());
    if (e.latencyMs() == null) {
      raw.setNull(11, Types.INTEGER);
    } else {
      raw.setInt(11, e.latencyMs());
    }
    raw.setString(12, e.policy());
    raw.setString(13, e.detail());
  }

  /** A batch of rows as one {@code COPY} ({@link CopyRows}), the same columns as the insert. */
  private static void copy(java.sql.Connection connection, List<AuditEvent> events) throws SQLException {
    CopyRows copy = new CopyRows(events.size());
    for (AuditEvent e : events) {
      copy.time(e.at())
          .text(e.tenantId())
          .text(e.agentId())
          .text(e.actor())
          .text(e.requestId())
          .text(e.taskId())
          .text(e.action())
          .text(e.target())
          .text(e.decision())
          .text(e.outcome())
          .number(e.latencyMs())
          .text(e.policy())
          .text(e.detail())
          .endRow();
    }
    copy.copyIn(
        connection,
        "COPY audit_log (at, tenant_id, agent_id, actor, request_id, task_id, action, target, decision, outcome, latency_ms, policy, detail) FROM STDIN");
  }

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
