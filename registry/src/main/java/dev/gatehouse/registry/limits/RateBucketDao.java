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

  /** Puts {@code tokens} back into bucket {@code key} (a reservation settled below its cost), up to {@code capacity}. */
  @SqlUpdate("UPDATE rate_buckets SET tokens = LEAST(:capacity, tokens + :tokens) WHERE key = :key")
  int giveBack(@Bind("key") String key, @Bind("capacity") double capacity, @Bind("tokens") double tokens);

  /** Forgets buckets not taken from since {@code before} (a bucket seen again starts full, as an idle one would be). */
  @SqlUpdate("DELETE FROM rate_buckets WHERE updated_at < :before")
  int deleteIdleSince(@Bind("before") Instant before);
}
