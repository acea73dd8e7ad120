package dev.gatehouse.registry.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.sql.Timestamp;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.jdbi.v3.sqlobject.SqlObject;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * The model usage table: rows are inserted in batches, summed into reports and listed; never
 * changed. Every read is bounded by a {@link UsageQuery}'s time range.
 */
@RegisterConstructorMapper(UsageDao.Row.class)
@RegisterConstructorMapper(UsageDao.Sums.class)
public interface UsageDao extends SqlObject {

  /** The most rows {@link #page} returns at once. */
  int MAX_PAGE = 1000;

  /** The rows of a query, as a fragment of SQL over {@code :q.*}. */
  String FILTER =
      "at >= CAST(:q.since AS timestamptz) AND at < CAST(:q.until AS timestamptz) "
          + "AND (CAST(:q.tenantId AS text) IS NULL OR tenant_id = :q.tenantId) "
          + "AND (CAST(:q.agentId AS text) IS NULL OR agent_id = :q.agentId) "
          + "AND (CAST(:q.model AS text) IS NULL OR model = :q.model) "
          + "AND (CAST(:q.taskId AS text) IS NULL OR task_id = :q.taskId) ";

  /** A stored row, with its sequence number (the cursor of {@link #page}). */
  record Row(
      long id,
      Instant at,
      String tenantId,
      String agentId,
      String model,
      String provider,
      String providerModel,
      String operation,
      long inputTokens,
      long cachedInputTokens,
      long outputTokens,
      long reasoningTokens,
      boolean estimated,
      BigDecimal cost,
      long latencyMs,
      Long ttftMs,
      String outcome,
      boolean stream,
      String taskId,
      String stepId,
      String requestId) {}

  /** One group of {@link #sums}: a UTC day, or the whole range when {@code total}. */
  record Sums(
      LocalDate day,
      boolean total,
      long calls,
      long errors,
      long inputTokens,
      long cachedInputTokens,
      long outputTokens,
      long reasoningTokens,
      BigDecimal cost,
      long unpricedCalls,
      long estimatedCalls) {}

  /**
   * Appends rows in one batch; a missing {@code at} is the time of the insert, a missing outcome
   * {@code unknown}. Plain JDBC, not JDBI's binding: on a busy gateway the usage writer inserts a
   * row per model call, and JDBI's per-row, per-argument lookups cost more than the insert.
   */
  default void insert(List<UsageRecord> rows) {
    if (rows.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        getHandle()
            .getConnection()
            .prepareStatement(
                "INSERT INTO model_usage (at, tenant_id, agent_id, model, provider, provider_model, operation, input_tokens, "
                    + "cached_input_tokens, output_tokens, reasoning_tokens, estimated, cost, latency_ms, ttft_ms, outcome, stream, "
                    + "task_id, step_id, request_id) VALUES (coalesce(CAST(? AS timestamptz), now()), ?, ?, ?, ?, ?, "
                    + "coalesce(?, 'chat'), ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, 'unknown'), ?, ?, ?, ?)")) {
      for (UsageRecord r : rows) {
        ps.setTimestamp(1, r.at() == null ? null : Timestamp.from(r.at()));
        ps.setString(2, r.tenantId());
        ps.setString(3, r.agentId());
        ps.setString(4, r.model());
        ps.setString(5, r.provider());
        ps.setString(6, r.providerModel());
        ps.setString(7, r.operation());
        ps.setLong(8, r.inputTokens());
        ps.setLong(9, r.cachedInputTokens());
        ps.setLong(10, r.outputTokens());
        ps.setLong(11, r.reasoningTokens());
        ps.setBoolean(12, r.estimated());
        ps.setBigDecimal(13, r.cost());
        ps.setLong(14, r.latencyMs());
        if (r.ttftMs() == null) {
          ps.setNull(15, Types.BIGINT);
        } else {
          ps.setLong(15, r.ttftMs());
        }
        ps.setString(16, r.outcome());
        ps.setBoolean(17, r.stream());
        ps.setString(18, r.taskId());
        ps.setString(19, r.stepId());
        ps.setString(20, r.requestId());
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw new UnableToExecuteStatementException(e, null);
    }
  }

  /**
   * The sums of the query's rows per UTC day, and over all of them (the row with {@code total}),
   * in one pass. The total row is there even when no row matches.
   */
  @SqlQuery(
      "SELECT day, GROUPING(day) = 1 AS total, count(*) AS calls, "
          + "count(*) FILTER (WHERE outcome <> 'ok') AS errors, "
          + "coalesce(sum(input_tokens), 0) AS input_tokens, "
          + "coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens, "
          + "coalesce(sum(output_tokens), 0) AS output_tokens, "
          + "coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens, "
          + "sum(cost) AS cost, "
          // a call that used no tokens (refused before it was sent) needed no price
          + "count(*) FILTER (WHERE cost IS NULL AND (input_tokens > 0 OR output_tokens > 0)) AS unpriced_calls, "
          + "count(*) FILTER (WHERE estimated) AS estimated_calls "
          + "FROM (SELECT (at AT TIME ZONE 'UTC')::date AS day, outcome, input_tokens, cached_input_tokens, output_tokens, "
          + "reasoning_tokens, cost, estimated FROM model_usage WHERE " + FILTER + ") u "
          + "GROUP BY GROUPING SETS ((day), ()) ORDER BY total DESC, day")
  List<Sums> sums(@BindMethods("q") UsageQuery q);

  /** The query's totals and per-day sums (see {@link UsageReport}). */
  default UsageReport report(UsageQuery q) {
    UsageReport.Totals totals = UsageReport.Totals.NONE;
    List<UsageReport.Day> days = new ArrayList<>();
    for (Sums s : sums(q)) {
      if (s.total()) {
        totals = new UsageReport.Totals(s.calls(), s.errors(), s.inputTokens(), s.cachedInputTokens(), s.outputTokens(),
            s.reasoningTokens(), s.cost(), s.unpricedCalls(), s.estimatedCalls());
      } else {
        days.add(new UsageReport.Day(s.day(), s.calls(), s.errors(), s.inputTokens(), s.cachedInputTokens(),
            s.outputTokens(), s.reasoningTokens(), s.cost(), s.unpricedCalls(), s.estimatedCalls()));
      }
    }
    return new UsageReport(totals, days);
  }

  /**
   * The query's rows newest first (by id), at most {@code limit} (1 to {@link #MAX_PAGE}), those
   * before the id {@code before} when it is given (the cursor: the last id of the previous page).
   */
  @SqlQuery(
      "SELECT * FROM model_usage WHERE " + FILTER
          + "AND (CAST(:before AS bigint) IS NULL OR id < :before) ORDER BY id DESC LIMIT :limit")
  List<Row> rows(@BindMethods("q") UsageQuery q, @Bind("before") Long before, @Bind("limit") int limit);

  /** {@link #rows} with {@code limit} checked: 1 to {@link #MAX_PAGE}. */
  default List<Row> page(UsageQuery q, Long before, int limit) {
    if (limit < 1 || limit > MAX_PAGE) {
      throw new IllegalArgumentException("limit must be between 1 and " + MAX_PAGE);
    }
    return rows(q, before, limit);
  }
}
