package dev.gatehouse.registry.budgets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * Budgets in PostgreSQL ({@code budgets}, {@code budget_reservations}), exact across replicas.
 * One row per budget policy, subject ({@code agent:<id>} or {@code tenant:<id>}) and period
 * holds the limits, what is reserved and what was spent.
 *
 * <ul>
 *   <li>{@link #RESERVE} checks and reserves in one {@code INSERT ... ON CONFLICT DO UPDATE}: the
 *       row lock orders concurrent reservations of one budget from any number of replicas, and a
 *       reservation is made only when {@code reserved + spent + ask <= limit}, so they can never
 *       together pass the limit. The same statement records the reservation (id, amount, expiry).
 *   <li>{@link #SETTLE} turns a reservation into what the call used, in one statement: the
 *       reservation leaves {@code reserved}, the actual amount joins {@code spent}. Settling an id
 *       twice changes nothing the second time.
 *   <li>{@link #releaseExpired} frees the reservations of calls that never settled (their replica
 *       died): an expired reservation leaves {@code reserved} and is marked released; a call that
 *       still settles it later adds what it spent and takes nothing off twice.
 * </ul>
 *
 * The period is the database's: the UTC day or month of {@code statement_timestamp()}, or the
 * epoch for a {@code fixed} budget (one row for ever), so replicas' clocks do not matter. The
 * limits are passed in with every reservation (a changed policy applies to the current period at
 * once) and the row keeps the ones it was last checked against. The two statements every
 * budgeted call makes, the reservation and the settlement, run through {@link BudgetStatements},
 * without the SQL object's per-call machinery.
 */
@RegisterConstructorMapper(BudgetDao.Current.class)
@RegisterConstructorMapper(BudgetDao.Totals.class)
public interface BudgetDao {
  /** The most expired reservations one {@link #releaseExpired} call releases. */
  int MAX_RELEASED = 1000;

  /** Periods as policies name them. */
  String DAY = "day";
  String MONTH = "month";
  String FIXED = "fixed";

  /**
   * After {@code CASE <period>}: the start of that period that holds now, in UTC, on the
   * database's clock; the epoch for {@code fixed} (SQL).
   */
  String PERIOD_START =
      " WHEN 'day' THEN date_trunc('day', statement_timestamp() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
          + " WHEN 'month' THEN date_trunc('month', statement_timestamp() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
          + " ELSE TIMESTAMPTZ 'epoch' END ";

  /** Whether the ask fits a budget seen for the first time (SQL, over the binds of {@link #RESERVE}). */
  String FITS_NEW =
      "((CAST(:limitTokens AS bigint) IS NULL OR :tokens <= CAST(:limitTokens AS bigint)) "
          + "AND (CAST(:limitCost AS numeric) IS NULL OR CAST(:cost AS numeric) <= CAST(:limitCost AS numeric)))";

  /** Whether the ask fits beside what budget row {@code b} holds (SQL, over the binds of {@link #RESERVE}). */
  String FITS =
      "((CAST(:limitTokens AS bigint) IS NULL OR b.reserved_tokens + b.spent_tokens + :tokens <= CAST(:limitTokens AS bigint)) "
          + "AND (CAST(:limitCost AS numeric) IS NULL "
          + "OR b.reserved_cost + b.spent_cost + CAST(:cost AS numeric) <= CAST(:limitCost AS numeric)))";

  /**
   * Whether budget row {@code b} is current for policy row {@code p}: the policy's period and
   * subject kind as they are now, and the period that holds now (SQL).
   */
  String CURRENT =
      // Implied by the rest, but lets the planner use the period_start index instead of reading past periods' rows.
      "(b.period_start >= date_trunc('month', statement_timestamp() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' "
          + "OR b.period_start = TIMESTAMPTZ 'epoch') "
          + "AND b.period = COALESCE(p.definition->'budget'->>'period', 'month') "
          + "AND split_part(b.subject, ':', 1) = COALESCE(p.definition->'budget'->>'per', 'agent') "
          + "AND b.period_start = CASE b.period" + PERIOD_START;

  /** The policy's limits (SQL over {@code p}). */
  String LIMIT_TOKENS = "CAST(p.definition->'budget'->>'tokens' AS bigint)";

  String LIMIT_COST = "CAST(p.definition->'budget'->>'cost' AS numeric)";

  /**
   * What a reservation found: whether it was {@code admitted} (and then recorded under its id),
   * the period it counts in, the limits it was checked against, and the budget's {@code reserved}
   * and {@code spent} after it (when refused: as they were).
   */
  record Reserved(
      boolean admitted,
      Instant periodStart,
      Long limitTokens,
      BigDecimal limitCost,
      long reservedTokens,
      BigDecimal reservedCost,
      long spentTokens,
      BigDecimal spentCost) {}

  /** The statement of {@link BudgetStatements#reserve}. */
  String RESERVE =
      "WITH b AS ("
          + "INSERT INTO budgets AS b (policy, subject, period, period_start, tenant_id, limit_tokens, limit_cost, "
          + "reserved_tokens, reserved_cost, spent_tokens, spent_cost, admitted, updated_at) "
          + "VALUES (:policy, :subject, :period, CASE CAST(:period AS text)" + PERIOD_START + ", "
          + ":tenantId, CAST(:limitTokens AS bigint), CAST(:limitCost AS numeric), "
          + "CASE WHEN " + FITS_NEW + " THEN :tokens ELSE 0 END, CASE WHEN " + FITS_NEW + " THEN CAST(:cost AS numeric) ELSE 0 END, "
          + "0, 0, " + FITS_NEW + ", statement_timestamp()) "
          + "ON CONFLICT (policy, subject, period, period_start) DO UPDATE SET "
          + "reserved_tokens = b.reserved_tokens + CASE WHEN " + FITS + " THEN :tokens ELSE 0 END, "
          + "reserved_cost = b.reserved_cost + CASE WHEN " + FITS + " THEN CAST(:cost AS numeric) ELSE 0 END, "
          + "admitted = " + FITS + ", "
          + "limit_tokens = EXCLUDED.limit_tokens, limit_cost = EXCLUDED.limit_cost, updated_at = statement_timestamp() "
          + "RETURNING b.admitted, b.period_start, b.limit_tokens, b.limit_cost, b.reserved_tokens, b.reserved_cost, "
          + "b.spent_tokens, b.spent_cost), "
          + "r AS (INSERT INTO budget_reservations (id, policy, subject, period, period_start, tokens, cost, expires_at) "
          + "SELECT :id, :policy, :subject, :period, b.period_start, :tokens, CAST(:cost AS numeric), "
          + "statement_timestamp() + CAST(:ttlMillis AS bigint) * INTERVAL '1 millisecond' FROM b WHERE b.admitted) "
          + "SELECT * FROM b";

  /** The statement of {@link BudgetStatements#settle}. */
  String SETTLE =
      "WITH r AS (DELETE FROM budget_reservations WHERE id = :id RETURNING policy, subject, period, period_start, "
          + "CASE WHEN released THEN 0 ELSE tokens END AS tokens, CASE WHEN released THEN 0 ELSE cost END AS cost) "
          + "UPDATE budgets b SET reserved_tokens = b.reserved_tokens - r.tokens, reserved_cost = b.reserved_cost - r.cost, "
          + "spent_tokens = b.spent_tokens + :tokens, spent_cost = b.spent_cost + CAST(:cost AS numeric), "
          + "updated_at = statement_timestamp() "
          + "FROM r WHERE b.policy = r.policy AND b.subject = r.subject AND b.period = r.period AND b.period_start = r.period_start";

  /**
   * Releases reservations that expired unsettled (at most {@link #MAX_RELEASED}, the oldest
   * first): their amounts leave the budgets' {@code reserved}; the rows stay, marked released,
   * until {@link #forgetReleased}. One replica at a time does this (a transaction-scoped advisory
   * lock; the others release nothing and return 0), so two never update the same budgets in
   * different orders. Returns how many were released.
   */
  @SqlQuery(
      "WITH lock AS (SELECT pg_try_advisory_xact_lock(7242501200) AS mine), "
          + "gone AS (UPDATE budget_reservations SET released = true WHERE NOT released AND (SELECT mine FROM lock) "
          + "AND id IN (SELECT id FROM budget_reservations WHERE NOT released AND expires_at < statement_timestamp() "
          + "ORDER BY expires_at LIMIT " + MAX_RELEASED + ") "
          + "RETURNING policy, subject, period, period_start, tokens, cost), "
          + "sums AS (SELECT policy, subject, period, period_start, sum(tokens) AS tokens, sum(cost) AS cost, count(*) AS n "
          + "FROM gone GROUP BY policy, subject, period, period_start), "
          + "fixed AS (UPDATE budgets b SET reserved_tokens = b.reserved_tokens - s.tokens, reserved_cost = b.reserved_cost - s.cost, "
          + "updated_at = statement_timestamp() FROM sums s WHERE b.policy = s.policy AND b.subject = s.subject "
          + "AND b.period = s.period AND b.period_start = s.period_start RETURNING 1) "
          + "SELECT CAST(COALESCE(sum(n), 0) AS integer) FROM sums")
  int releaseExpired();

  /** Deletes released reservations that expired more than a day ago (a call that settles later still counts nothing twice: it finds no row). */
  @SqlUpdate("DELETE FROM budget_reservations WHERE released AND expires_at < statement_timestamp() - INTERVAL '1 day'")
  int forgetReleased();

  /**
   * One budget in its current period, with the limits of the policy as it is now ({@code version}
   * its version) and what is left of them (never below 0; null where the policy has no such limit).
   */
  record Current(
      String policy,
      int version,
      String subject,
      String tenantId,
      String period,
      Instant periodStart,
      Long limitTokens,
      BigDecimal limitCost,
      long reservedTokens,
      BigDecimal reservedCost,
      long spentTokens,
      BigDecimal spentCost,
      Long remainingTokens,
      BigDecimal remainingCost,
      Instant updatedAt) {}

  /**
   * The budgets of the current periods, ordered by policy name and subject: of tenant {@code
   * tenantId} (null: every tenant's), of policy {@code policy} (null: every budget policy's), after
   * {@code afterPolicy}/{@code afterSubject} (the last of the previous page; null: from the
   * start), at most {@code limit}. Only budgets of policies that exist and count per the subject's
   * kind and period as they do now: rows a policy's earlier period or subject kind left are not
   * current.
   */
  @SqlQuery(
      "SELECT b.policy, p.version, b.subject, b.tenant_id, b.period, b.period_start, "
          + LIMIT_TOKENS + " AS limit_tokens, " + LIMIT_COST + " AS limit_cost, "
          + "b.reserved_tokens, b.reserved_cost, b.spent_tokens, b.spent_cost, "
          // GREATEST ignores NULLs: a policy without the limit has nothing "remaining" of it (null).
          + "CASE WHEN " + LIMIT_TOKENS + " IS NULL THEN NULL "
          + "ELSE GREATEST(0, " + LIMIT_TOKENS + " - b.reserved_tokens - b.spent_tokens) END AS remaining_tokens, "
          + "CASE WHEN " + LIMIT_COST + " IS NULL THEN NULL "
          + "ELSE GREATEST(0, " + LIMIT_COST + " - b.reserved_cost - b.spent_cost) END AS remaining_cost, "
          + "b.updated_at "
          + "FROM budgets b JOIN policies p ON p.name = b.policy AND p.kind = 'budget' "
          + "WHERE " + CURRENT
          + "AND (CAST(:tenantId AS text) IS NULL OR b.tenant_id = :tenantId) "
          + "AND (CAST(:policy AS text) IS NULL OR b.policy = :policy) "
          + "AND (CAST(:afterPolicy AS text) IS NULL OR (b.policy, b.subject) > (:afterPolicy, CAST(:afterSubject AS text))) "
          + "ORDER BY b.policy, b.subject LIMIT :limit")
  List<Current> current(
      @Bind("tenantId") String tenantId,
      @Bind("policy") String policy,
      @Bind("afterPolicy") String afterPolicy,
      @Bind("afterSubject") String afterSubject,
      @Bind("limit") int limit);

  /**
   * One budget policy's current period over all its subjects: how many there are, the limits
   * (each subject's), and the sums and the highest of what they reserved and spent.
   */
  record Totals(
      String policy,
      String per,
      Long limitTokens,
      BigDecimal limitCost,
      long subjects,
      long reservedTokens,
      BigDecimal reservedCost,
      long spentTokens,
      BigDecimal spentCost,
      long maxSpentTokens,
      BigDecimal maxSpentCost) {}

  /** {@link Totals} of every budget policy with a current row, by name. */
  @SqlQuery(
      "SELECT p.name AS policy, split_part(b.subject, ':', 1) AS per, "
          + LIMIT_TOKENS + " AS limit_tokens, " + LIMIT_COST + " AS limit_cost, "
          + "count(*) AS subjects, CAST(sum(b.reserved_tokens) AS bigint) AS reserved_tokens, sum(b.reserved_cost) AS reserved_cost, "
          + "CAST(sum(b.spent_tokens) AS bigint) AS spent_tokens, sum(b.spent_cost) AS spent_cost, "
          + "max(b.spent_tokens) AS max_spent_tokens, max(b.spent_cost) AS max_spent_cost "
          + "FROM budgets b JOIN policies p ON p.name = b.policy AND p.kind = 'budget' "
          + "WHERE " + CURRENT
          + "GROUP BY p.name, split_part(b.subject, ':', 1) ORDER BY p.name")
  List<Totals> totals();
}
