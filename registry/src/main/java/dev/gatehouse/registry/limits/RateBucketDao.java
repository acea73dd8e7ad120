package dev.gatehouse.registry.limits;

import java.time.Instant;
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
 * What a call does on its path, {@link RateBucketStatements}, runs these statements without the
 * SQL object's per-call machinery.
 */
@RegisterConstructorMapper(RateBucketDao.Take.class)
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

  /** What {@link RateBucketStatements#takeAll} found for one of its buckets. */
  record KeyedTake(String key, boolean admitted, double tokens) {}

  /** The statement of {@link RateBucketStatements#takeAll}. */
  String TAKE_ALL =
      "INSERT INTO rate_buckets AS b (key, tokens, admitted, updated_at) "
          + "SELECT t.key, CASE WHEN t.cost <= t.capacity THEN t.capacity - t.cost ELSE t.capacity END, t.cost <= t.capacity, statement_timestamp() "
          + "FROM unnest(CAST(:keys AS text[]), CAST(:capacities AS float8[]), CAST(:rates AS float8[]), CAST(:costs AS float8[])) AS t(key, capacity, rate, cost) "
          + "ORDER BY t.key "
          + "ON CONFLICT (key) DO UPDATE SET "
          + "  tokens = CASE WHEN " + TakeAll.REFILL + " >= " + TakeAll.COST + " THEN " + TakeAll.REFILL + " - " + TakeAll.COST + " ELSE " + TakeAll.REFILL + " END, "
          + "  admitted = " + TakeAll.REFILL + " >= " + TakeAll.COST + ", "
          + "  updated_at = GREATEST(b.updated_at, statement_timestamp()) "
          + "RETURNING key, admitted, tokens";

  /** The per-bucket arguments of {@link #TAKE_ALL} inside its {@code DO UPDATE}, found by the bucket's key. */
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
   * The most a settled bucket may owe, in buckets: nine, so a bucket in the deepest debt (refilling
   * a bucket a minute) is full again after ten idle minutes, when the idle sweep forgets it.
   */
  int MAX_DEBT_BUCKETS = 9;

  /** The statement of {@link RateBucketStatements#settle}. */
  String SETTLE =
      "WITH t AS (SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:capacities AS float8[]), CAST(:deltas AS float8[])) AS t(key, capacity, delta)), "
          + "locked AS MATERIALIZED (SELECT r.key FROM rate_buckets r JOIN t ON t.key = r.key ORDER BY r.key FOR UPDATE OF r) "
          + "UPDATE rate_buckets b SET tokens = GREATEST(-" + MAX_DEBT_BUCKETS + " * t.capacity, LEAST(t.capacity, b.tokens + t.delta)) "
          + "FROM t, locked WHERE b.key = t.key AND locked.key = t.key";

  /** Forgets buckets not taken from since {@code before} (a bucket seen again starts full, as an idle one would be). */
  @SqlUpdate("DELETE FROM rate_buckets WHERE updated_at < :before")
  int deleteIdleSince(@Bind("before") Instant before);
}
