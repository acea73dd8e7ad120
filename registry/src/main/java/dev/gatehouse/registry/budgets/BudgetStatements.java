package dev.gatehouse.registry.budgets;

import java.math.BigDecimal;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;

/**
 * The budget statements every budgeted call makes ({@link BudgetDao}'s tables), each on a handle
 * of its own through Jdbi's fluent API rather than an on-demand SQL object: they run on the call's
 * path, and an on-demand SQL object builds its extension and copies its configuration on every
 * call (about 73 KB allocated per statement against 10 KB here, measured on {@link #settle} with
 * JMH's gc profiler). Shared by every thread.
 */
public final class BudgetStatements {
  // Named as the SQL objects' statements are (logs, pg_stat_activity).
  private static final String RESERVE = "/* BudgetStatements.reserve */ " + BudgetDao.RESERVE;
  private static final String SETTLE = "/* BudgetStatements.settle */ " + BudgetDao.SETTLE;
  private static final RowMapper<BudgetDao.Reserved> RESERVED = ConstructorMapper.of(BudgetDao.Reserved.class);

  private final Jdbi jdbi;

  public BudgetStatements(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /**
   * Reserves {@code tokens} and {@code cost} of the budget of {@code policy} for {@code subject}
   * in the current {@code period} when they fit its limits (a null limit does not bound), as
   * reservation {@code id}, which expires {@code ttlMillis} from now. A budget seen for the first
   * time in a period starts empty. One statement ({@link BudgetDao#RESERVE}).
   */
  public BudgetDao.Reserved reserve(
      String id, String policy, String subject, String period, String tenantId, Long limitTokens, BigDecimal limitCost,
      long tokens, BigDecimal cost, long ttlMillis) {
    return jdbi.withHandle(
        h -> h.createQuery(RESERVE)
            .bind("id", id)
            .bind("policy", policy)
            .bind("subject", subject)
            .bind("period", period)
            .bind("tenantId", tenantId)
            .bind("limitTokens", limitTokens)
            .bind("limitCost", limitCost)
            .bind("tokens", tokens)
            .bind("cost", cost)
            .bind("ttlMillis", ttlMillis)
            .map(RESERVED)
            .one());
  }

  /**
   * Settles reservation {@code id}: its amount leaves the budget's {@code reserved} (unless it
   * was released when it expired), and {@code tokens} and {@code cost}, what the call used, join
   * its {@code spent}, in the period the reservation was made in. 1 when settled now; 0 when the
   * id was settled before (or is unknown): nothing changes then. One statement ({@link
   * BudgetDao#SETTLE}).
   */
  public int settle(String id, long tokens, BigDecimal cost) {
    return jdbi.withHandle(
        h -> h.createUpdate(SETTLE).bind("id", id).bind("tokens", tokens).bind("cost", cost).execute());
  }
}
