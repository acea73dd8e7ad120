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
 * tree will take). One that finds no room left is refused 429 {@code overloaded}, {@code
 * details.limit} {@code modelBodyBytes}; one that could never fit, 413. Bodies up to the common
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

  private final long free;
  private final long maxKib;
  private final Semaphore kib;
  private final GatehouseMetrics metrics;

  /** {@code free}: the bytes of a body not counted; {@code max}: the bytes counted at once. */
  LargeBodies(long free, long max, GatehouseMetrics metrics) {
    this.free = free;
    this.maxKib = Math.max(1, Math.min(Integer.MAX_VALUE, max / 1024));
    this.kib = new Semaphore((int) maxKib);
    this.metrics = metrics;
  }

  /** What one body holds of the budget: grown as the body is read, given back once (by {@link #close}). */
  final class Held implements AutoCloseable {
    private int permits;
    private boolean closed;

    /** Counts a body of {@code bytes} so far; refuses it when the budget has no room for it. */
    synchronized void grow(long bytes) {
      if (closed || bytes <= free) {
        return;
      }
      long wanted = (bytes + 1023) / 1024;
      if (wanted <= permits) {
        return;
      }
      if (wanted > maxKib) {
        // No wait would make room for it.
        throw new ApiException(
            ErrorCode.REQUEST_TOO_LARGE,
            "the body is larger than this replica holds for model calls at once (models.maxLargeBodyBytes), counting what its"
                + " JSON values take in memory");
      }
      // In steps of 1 MiB at least: a body read 8 KiB at a time takes the semaphore once a MiB.
      int more = (int) Math.min(Math.max(wanted - permits, 1024), maxKib - permits);
      if (!kib.tryAcquire(more)) {
        throw refused();
      }
      permits += more;
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        if (permits > 0) {
          kib.release(permits);
        }
      }
    }
  }

  Held hold() {
    return new Held();
  }

  /** Whether a body of {@code bytes} is counted (one above the common limit). */
  boolean counts(long bytes) {
    return bytes > free;
  }

  /** What a body of {@code bytes} and {@code tokens} JSON tokens is counted as once read: its bytes and its tree. */
  static long weight(long bytes, long tokens) {
    return bytes + tokens * BYTES_PER_TOKEN;
  }

  private ApiException refused() {
    if (metrics != null) {
      metrics.admissionRefused(LIMIT);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("limit", LIMIT);
    details.put("max", maxKib * 1024);
    details.put("retryAfter", RETRY_AFTER_SECONDS);
    return new ApiException(
        ErrorCode.OVERLOADED,
        "overloaded: large model request bodies take all the memory this replica gives them (models.maxLargeBodyBytes); retry soon",
        Map.of("Retry-After", Long.toString(RETRY_AFTER_SECONDS)),
        details);
  }
}
