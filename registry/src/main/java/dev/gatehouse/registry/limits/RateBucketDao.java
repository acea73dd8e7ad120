package dev.gatehouse.registry.limits;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * Token buckets in PostgreSQL ({@code rate_buckets}), exact across replicas: a take refills the
 * bucket for the time since its last take (at {@code ratePerSecond}, up to {@code capacity}) and
 * takes {@code cost} when that many tokens are there, in one {@code INSERT ... ON CONFLICT DO
 * UPDATE}: one round trip per decision, and the row lock orders concurrent takes of one bucket,
 * so no two of them spend the same tokens. A bucket seen for the first time starts full. Time is
 * the database's: {@code statement_timestamp()}, one instant for the whole statement, so the
 * refill the decision reads is the one it writes, and replicas' clocks do not matter. A take that
 * waited for the row lock behind a later one refills nothing for the time between them (never a
 * negative refill, and {@code updated_at} never goes back), so tokens are never made twice.
 */
@RegisterConstructorMapper(RateBucketDao.Take.class)
@RegisterConstructorMapper(RateBucketDao.KeyedTake.class)
public interface RateBucketDao {

  /**
   * What a take found: whether it was {@code admitted}, and the {@code tokens} left after it (when
   * refused: what there is, less than the cost).
   */
  record Take(boolean admitted, double tokens) {}

  @SqlQuery(
      "INSERT INTO rate_buckets AS b (key, tokens, admitted, updated_at) "
          + "VALUES (:key, CASE WHEN :cost <= :capacity THEN :capacity - :cost ELSE :capacity END, :cost <= :capacity, statement_timestamp()) "
          + "ON CONFLICT (key) DO UPDATE SET "
          + "  tokens = CASE WHEN LEAST(:capacity, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - b.updated_at)) * :ratePerSecond) >= :cost "
          + "    THEN LEAST(:capacity, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - b.updated_at)) * :ratePerSecond) - :cost "
          + "    ELSE LEAST(:capacity, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - b.updated_at)) * :ratePerSecond) END, "
          + "  admitted = LEAST(:capacity, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - b.updated_at)) * :ratePerSecond) >= :cost, "
          + "  updated_at = GREATEST(b.updated_at, statement_timestamp()) "
          + "RETURNING admitted, tokens")
  Take take(
      @Bind("key") String key, @Bind("capacity") double capacity, @Bind("ratePerSecond") double ratePerSecond, @Bind("cost") double cost);

  /** What {@link #takeAll} found for one of its buckets. */
  record KeyedTake(String key, boolean admitted, double tokens) {}

  /**
   * {@link #take} for several buckets in one statement, so one round trip decides them all: bucket
   * {@code keys[i]} (distinct keys) of {@code capacities[i]} refilling at {@code rates[i]} per
   * second takes {@code costs[i]}. Each bucket decides alone, as {@link #take} would (one may admit
   * while another refuses; the caller gives back what it does not use). The rows are locked in key
   * order, the order every statement here locks in, so two calls that share buckets never wait for
   * each other in a cycle. The answer lists every bucket, in key order.
   */
  @SqlQuery(
      "INSERT INTO rate_buckets AS b (key, tokens, admitted, updated_at) "
          + "SELECT t.key, CASE WHEN t.cost <= t.capacity THEN t.capacity - t.cost ELSE t.capacity END, t.cost <= t.capacity, statement_timestamp() "
          + "FROM unnest(CAST(:keys AS text[]), CAST(:capacities AS float8[]), CAST(:rates AS float8[]), CAST(:costs AS float8[])) AS t(key, capacity, rate, cost) "
          + "ORDER BY t.key "
          + "ON CONFLICT (key) DO UPDATE SET "
          + "  tokens = CASE WHEN " + TakeAll.REFILL + " >= " + TakeAll.COST + " THEN " + TakeAll.REFILL + " - " + TakeAll.COST + " ELSE " + TakeAll.REFILL + " END, "
          + "  admitted = " + TakeAll.REFILL + " >= " + TakeAll.COST + ", "
          + "  updated_at = GREATEST(b.updated_at, statement_timestamp()) "
          + "RETURNING key, admitted, tokens")
  List<KeyedTake> takeAll(
      @Bind("keys") String[] keys, @Bind("capacities") double[] capacities, @Bind("rates") double[] rates, @Bind("costs") double[] costs);

  /** The per-bucket arguments of {@link #takeAll} inside its {@code DO UPDATE}, found by the bucket's key. */
  final class TakeAll {
    private static final String AT = "array_position(CAST(:keys AS text[]), b.key)";
    static final String CAPACITY = "(CAST(:capacities AS float8[]))[" + AT + "]";
    static final String RATE = "(CAST(:rates AS float8[]))[" + AT + "]";
    static final String COST = "(CAST(:costs AS float8[]))[" + AT + "]";
    static final String REFILL =
        "LEAST(" + CAPACITY + ", b.tokens + GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - b.updated_at)) * " + RATE + ")";

    private TakeAll() {}
  }

  /**
   * Settles reservations in one statement: bucket {@code keys[i]} gets {@code deltas[i]} tokens
   * back (a reservation above what the call used), or pays {@code -deltas[i]} more (a call that
   * used more than it reserved), staying within {@code -capacities[i]} and {@code capacities[i]}:
   * a debt of at most one bucket, which a bucket idle for two of its refill periods has paid. Rows
   * are locked in key order, as {@link #takeAll} locks them. Returns the rows changed.
   */
  @SqlUpdate(
      "WITH t AS (SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:capacities AS float8[]), CAST(:deltas AS float8[])) AS t(key, capacity, delta)), "
          + "locked AS MATERIALIZED (SELECT r.key FROM rate_buckets r JOIN t ON t.key = r.key ORDER BY r.key FOR UPDATE OF r) "
          + "UPDATE rate_buckets b SET tokens = GREATEST(-t.capacity, LEAST(t.capacity, b.tokens + t.delta)) "
          + "FROM t, locked WHERE b.key = t.key AND locked.key = t.key")
  int settle(@Bind("keys") String[] keys, @Bind("capacities") double[] capacities, @Bind("deltas") double[] deltas);

  /** Puts {@code tokens} back into bucket {@code key} (a reservation settled below its cost), up to {@code capacity}. */
  @SqlUpdate("UPDATE rate_buckets SET tokens = LEAST(:capacity, tokens + :tokens) WHERE key = :key")
  int giveBack(@Bind("key") String key, @Bind("capacity") double capacity, @Bind("tokens") double tokens);

  /** Forgets buckets not taken from since {@code before} (a bucket seen again starts full, as an idle one would be). */
  @SqlUpdate("DELETE FROM rate_buckets WHERE updated_at < :before")
  int deleteIdleSince(@Bind("before") Instant before);
}
