package dev.gatehouse.registry.limits;

import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;

/**
 * The rate-limit statements every governed call makes ({@link RateBucketDao}'s buckets), each on a
 * handle of its own through Jdbi's fluent API rather than an on-demand SQL object: this runs on
 * the call's path, and an on-demand SQL object builds its extension and copies its configuration
 * on every call (about 73 KB allocated per statement against 10 KB here, measured on {@link
 * dev.gatehouse.registry.budgets.BudgetStatements#settle}). Shared by every thread.
 */
public final class RateBucketStatements {
  // Named as the SQL objects' statements are (logs, pg_stat_activity).
  private static final String TAKE_ALL = "/* RateBucketStatements.takeAll */ " + RateBucketDao.TAKE_ALL;
  private static final String SETTLE = "/* RateBucketStatements.settle */ " + RateBucketDao.SETTLE;
  private static final RowMapper<RateBucketDao.KeyedTake> KEYED_TAKE = ConstructorMapper.of(RateBucketDao.KeyedTake.class);

  private final Jdbi jdbi;

  public RateBucketStatements(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /**
   * Takes from several buckets in one statement, so one round trip decides them all: bucket {@code
   * keys[i]} (distinct keys) of {@code capacities[i]} refilling at {@code rates[i]} per second takes
   * {@code costs[i]}. Each bucket decides alone, as {@link RateBucketDao#take} would (one may admit
   * while another refuses; the caller gives back what it does not use). The rows are locked in key
   * order, the order every statement here locks in, so two calls that share buckets never wait for
   * each other in a cycle. The answer lists every bucket, in key order.
   */
  public List<RateBucketDao.KeyedTake> takeAll(String[] keys, double[] capacities, double[] rates, double[] costs) {
    return jdbi.withHandle(
        h -> h.createQuery(TAKE_ALL)
            .bind("keys", keys)
            .bind("capacities", capacities)
            .bind("rates", rates)
            .bind("costs", costs)
            .map(KEYED_TAKE)
            .list());
  }

  /**
   * Settles reservations in one statement: bucket {@code keys[i]} gets {@code deltas[i]} tokens
   * back (a reservation above what the call used), or pays {@code -deltas[i]} more (a call that
   * used more than it reserved), staying within {@code -9 * capacities[i]} and {@code
   * capacities[i]}: a debt of at most nine buckets ({@link RateBucketDao#MAX_DEBT_BUCKETS}), which a
   * bucket idle for ten of its refill periods has paid. So one call that used far more than a
   * bucket (a large {@code n}) is paid for before the next is admitted, up to ten minutes' worth. Rows
   * are locked in key order, as {@link #takeAll} locks them. Returns the rows changed.
   */
  public int settle(String[] keys, double[] capacities, double[] deltas) {
    return jdbi.withHandle(
        h -> h.createUpdate(SETTLE).bind("keys", keys).bind("capacities", capacities).bind("deltas", deltas).execute());
  }
}
