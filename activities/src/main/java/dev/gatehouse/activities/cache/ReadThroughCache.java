package dev.gatehouse.activities.cache;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.function.Function;

/**
 * What Gatehouse read from PostgreSQL, kept for a fixed time ({@code caches.*}) and read again
 * before or after it runs out (Caffeine). An entry is never used once its TTL has passed since it
 * was read; the read that replaces it depends on whether the entry is in use:
 *
 * <ul>
 *   <li>An entry in use is read again <em>before</em> it runs out: the first caller that meets it
 *       after three quarters of its TTL reads it once more, and while it does every other caller
 *       keeps getting the entry it has, which is still within its TTL. Under steady load only
 *       that one caller waits for a read: before, every request thread that met the entry expired waited
 *       for the one read of it, so each cache stalled all of a busy gateway's concurrent requests
 *       once per TTL for as long as its queries took (docs/benchmarks.md, "The caches read again
 *       before they run out"). If that read fails, the entry is kept until its TTL has passed
 *       and the next caller reads it again.
 *   <li>A missing or expired entry is read by one caller; the others asking for the same key
 *       meanwhile wait for that read (16 concurrent clients once ran the MCP catalog's five
 *       queries up to 16 times every two seconds). A failed read is the caller's failure and
 *       keeps nothing.
 * </ul>
 *
 * Each cache has one reader, given when it is made. Zero TTL: nothing is kept, every use reads.
 */
public final class ReadThroughCache<K, V> {
  private final LoadingCache<K, V> cache;
  private final Function<? super K, ? extends V> read;

  /**
   * At most {@code maxEntries} entries, each for {@code ttl} from when it was read by {@code read}
   * (which must not return null, and may throw only unchecked exceptions).
   */
  public ReadThroughCache(Duration ttl, long maxEntries, Function<? super K, ? extends V> read) {
    this(ttl, maxEntries, read, Ticker.systemTicker());
  }

  /** With the time of {@code ticker} (tests). */
  ReadThroughCache(Duration ttl, long maxEntries, Function<? super K, ? extends V> read, Ticker ticker) {
    this.read = read;
    this.cache =
        ttl.isZero() || ttl.isNegative()
            ? null
            : Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .refreshAfterWrite(refreshAfter(ttl))
                .maximumSize(maxEntries)
                // Evictions, and the read of an entry in use that is about to run out, run on the
                // caller's thread, not the common pool: that one caller waits for its read, the
                // others keep the entry they have meanwhile.
                .executor(Runnable::run)
                .ticker(ticker)
                .build(read::apply);
  }

  /** Three quarters of {@code ttl}: when an entry in use is read again, before it runs out. */
  static Duration refreshAfter(Duration ttl) {
    Duration at = ttl.multipliedBy(3).dividedBy(4);
    return at.isZero() ? Duration.ofNanos(1) : at;
  }

  /** The entry for {@code key}, read when there is none or it has run out. */
  public V get(K key) {
    return cache == null ? read.apply(key) : cache.get(key);
  }

  /** Forgets the entry for {@code key}: its next use reads it, and a read of it in progress is not kept. */
  public void invalidate(K key) {
    if (cache != null) {
      cache.invalidate(key);
    }
  }

  /** Forgets every entry: the next use of each key reads it. */
  public void invalidateAll() {
    if (cache != null) {
      cache.invalidateAll();
    }
  }
}
