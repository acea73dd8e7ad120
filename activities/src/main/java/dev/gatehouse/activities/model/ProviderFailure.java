package dev.gatehouse.activities.model;

import java.time.Duration;

/**
 * One attempt at a provider that did not give an answer: what kind of failure, which the router
 * reads to decide between retrying, falling back and giving up. The message is safe to show
 * (secrets redacted, no Java names).
 */
final class ProviderFailure extends Exception {
  enum Kind {
    /** 429: retry after its Retry-After, else fall back. */
    RATE_LIMITED(true, true),
    /** 5xx: retry, then fall back. */
    SERVER_ERROR(true, true),
    /** No answer within the provider's timeout. */
    TIMEOUT(true, true),
    /** Refused, reset, unreachable. */
    CONNECTION(true, true),
    /** A 200 that is not a valid answer (not JSON, a broken stream). */
    BAD_ANSWER(true, true),
    /** An answer larger than Gatehouse accepts: another provider may answer smaller. */
    TOO_LARGE(false, true),
    /** A provider credential could not be read: another provider may not need it. */
    CREDENTIALS(false, true),
    /** The provider's host resolves only to addresses its writer may not reach: another provider may be elsewhere. */
    EGRESS_REFUSED(false, true),
    /** A 4xx other than 408/429: the request is at fault; neither a retry nor another provider would help. */
    CLIENT_ERROR(false, false);

    final boolean retry;
    final boolean fallback;

    Kind(boolean retry, boolean fallback) {
      this.retry = retry;
      this.fallback = fallback;
    }
  }

  private final Kind kind;
  private final int status;
  private final Duration retryAfter;

  ProviderFailure(Kind kind, int status, String message, Duration retryAfter) {
    super(message, null, false, false);
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
  }

  Kind kind() {
    return kind;
  }

  /** The provider's HTTP status, or 0 when it gave none. */
  int status() {
    return status;
  }

  /** The provider's Retry-After, or null. */
  Duration retryAfter() {
    return retryAfter;
  }
}
