package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * The heap model request bodies take, bounded: a body above the common limit ({@code
 * limits.maxRequestBody}) is counted against {@code models.maxLargeBodyBytes} for this replica
 * until its call ends (it is held, parsed and copied all the while): its bytes as they are read,
 * then, before it is parsed, its bytes plus {@value #BYTES_PER_TOKEN} bytes a JSON token (what its
 * tree will take). One tenant's bodies hold at most half of it, so no tenant leaves the others
 * none. One that finds no room left is refused 429 {@code overloaded}, {@code details.limit}
 * {@code modelBodyBytes} ({@code tenantModelBodyBytes} for the tenant's share); one that could
 * never fit in its tenant's share, 413. Bodies up to the common
 * limit are not counted: what they hold is bounded as it always was, by the calls a replica
 * admits. Counted in KiB, never waiting.
 */
final class LargeBodies {
  /** The limit a refusal names. */
  static final String LIMIT = "modelBodyBytes";
  /**
   * What one JSON token of a body takes in memory once the body is a tree, about: an empty object
   * node with its map, a small text node. A probe's 31 MB of {@code {}} pairs (10 million objects)
   * took more than a gigabyte.
   */
  static final long BYTES_PER_TOKEN = 96;
  private static final long RETRY_AFTER_SECONDS = 1;

  /** The limit a refusal names when one tenant's bodies hold its share. */
  static final String TENANT_LIMIT = "tenantModelBodyBytes";

  private final long free;
  private final long maxKib;
  /** What one tenant's bodies may hold at once: half of it all, so no tenant leaves the others none. */
  private final long tenantKib;
  private final Semaphore kib;
  private final java.util.concurrent.ConcurrentHashMap<String, Long> byTenant = new java.util.concurrent.ConcurrentHashMap<>();
  private final GatehouseMetrics metrics;

  /** {@code free}: the bytes of a body not counted; {@code max}: the bytes counted at once. */
  LargeBodies(long free, long max, GatehouseMetrics metrics) {
    this.free = free;
    this.maxKib = Math.max(2, Math.min(Integer.MAX_VALUE, max / 1024));
    this.tenantKib = maxKib / 2;
    this.kib = new Semaphore((int) maxKib);
    this.metrics = metrics;
  }

  /** What one body holds of the budget: grown as the body is read, given back once (by {@link #close}). */
  final class Held implements AutoCloseable {
    private final String tenant;
    private int permits;
    private boolean closed;

    Held(String tenant) {
      this.tenant = tenant;
    }

    /** Counts a body of {@code bytes} so far; refuses it when the budget has no room for it. */
    synchronized void grow(long bytes) {
      if (closed || bytes <= free) {
        return;
      }
      long wanted = (bytes + 1023) / 1024;
      if (wanted <= permits) {
        return;
      }
      if (wanted > tenantKib) {
        // No wait would make room for it.
        throw new ApiException(
            ErrorCode.REQUEST_TOO_LARGE,
            "the body is larger than this replica holds for one tenant's model calls at once (half of models.maxLargeBodyBytes),"
                + " counting what its JSON values take in memory");
      }
      // In steps of 1 MiB at least: a body read 8 KiB at a time takes the semaphore once a MiB.
      int more = (int) Math.min(Math.max(wanted - permits, 1024), tenantKib - permits);
      byTenant.compute(tenant, (t, held) -> {
        long now = (held == null ? 0 : held) + more;
        if (now > tenantKib) {
          throw refused(TENANT_LIMIT, "this tenant's large model request bodies take its share of the memory this replica gives them");
        }
        return now;
      });
      if (!kib.tryAcquire(more)) {
        release(more);
        throw refused(LIMIT, "large model request bodies take all the memory this replica gives them");
      }
      permits += more;
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        if (permits > 0) {
          kib.release(permits);
          release(permits);
        }
      }
    }

    private void release(long kibs) {
      byTenant.computeIfPresent(tenant, (t, held) -> held - kibs <= 0 ? null : held - kibs);
    }
  }

  /** The budget one body of {@code tenant}'s holds, none yet. */
  Held hold(String tenant) {
    return new Held(tenant == null ? "" : tenant);
  }

  /** Whether a body of {@code bytes} is counted (one above the common limit). */
  boolean counts(long bytes) {
    return bytes > free;
  }

  /** What a body of {@code bytes} and {@code tokens} JSON tokens is counted as once read: its bytes and its tree. */
  static long weight(long bytes, long tokens) {
    return bytes + tokens * BYTES_PER_TOKEN;
  }

  private ApiException refused(String limit, String why) {
    if (metrics != null) {
      metrics.admissionRefused(limit);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("limit", limit);
    details.put("max", (limit.equals(LIMIT) ? maxKib : tenantKib) * 1024);
    details.put("retryAfter", RETRY_AFTER_SECONDS);
    return new ApiException(
        ErrorCode.OVERLOADED,
        "overloaded: " + why + " (models.maxLargeBodyBytes); retry soon",
        Map.of("Retry-After", Long.toString(RETRY_AFTER_SECONDS)),
        details);
  }
}
