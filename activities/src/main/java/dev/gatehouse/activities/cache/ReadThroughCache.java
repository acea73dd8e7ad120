package dev.gatehouse.activities.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.function.Function;

/**
 * What Gatehouse read from PostgreSQL, kept for a fixed time ({@code caches.*}) and read again on
 * the first use after it (Caffeine). When an entry has to be read, one caller reads it and the
 * others asking for the same key meanwhile wait for that read: under load, an entry that expires
 * is read once, not once by every request thread that meets it expired (before, 16 concurrent
 * clients ran the MCP catalog's five queries up to 16 times every two seconds). A failed read is
 * the caller's failure and keeps nothing. Zero TTL: nothing is kept, every use reads.
 */
public final class ReadThroughCache<K, V> {
  private final Cache<K, V> cache;

  /** At most {@code maxEntries} entries, each for {@code ttl} from when it was read. */
  public ReadThroughCache(Duration ttl, long maxEntries) {
    this.cache =
        ttl.isZero() || ttl.isNegative()
            ? null
            : Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumSize(maxEntries)
                .executor(Runnable::run) // evictions on the caller's thread, not the common pool
                .build();
  }

  /** The entry for {@code key}, read with {@code read} when there is none (it must not return null). */
  public V get(K key, Function<? super K, ? extends V> read) {
    return cache == null ? read.apply(key) : cache.get(key, read);
  }

  /** Forgets the entry for {@code key}: its next use reads it. */
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
