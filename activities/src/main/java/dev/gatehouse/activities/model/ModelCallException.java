package dev.gatehouse.activities.model;

import dev.gatehouse.activities.policy.RateLimitStatus;
import java.time.Duration;

/**
 * A model call that did not succeed, as its face reports it: {@code code} a stable gateway code
 * ({@code model_not_found}, {@code model_not_allowed}, {@code invalid_request}, {@code
 * rate_limited}, {@code upstream_unavailable}, {@code upstream_error}, {@code timed_out}, ...),
 * {@code status} the HTTP status the faces answer, {@code param} the request member at fault (or
 * null), {@code retryAfter} when a retry may succeed (or null), {@code retryable} whether a
 * durable step should retry it, {@code rateLimits} what a rate-limit policy that refused the call
 * said (null for any other failure, a provider's own 429 included). The message is safe to show the caller: it never holds a
 * credential or a Java type name.
 */
public class ModelCallException extends RuntimeException {
  private final String code;
  private final int status;
  private final String param;
  private final Duration retryAfter;
  private final boolean retryable;
  private final RateLimitStatus rateLimits;

  public ModelCallException(String code, int status, String message, String param, Duration retryAfter, boolean retryable) {
    this(code, status, message, param, retryAfter, retryable, null);
  }

  public ModelCallException(
      String code, int status, String message, String param, Duration retryAfter, boolean retryable, RateLimitStatus rateLimits) {
    super(message, null, false, false);
    this.rateLimits = rateLimits;
    this.code = code;
    this.status = status;
    this.param = param;
    this.retryAfter = retryAfter;
    this.retryable = retryable;
  }

  /** A refusal of the request itself: 400 {@code invalid_request}, never retried. */
  public static ModelCallException invalid(String message, String param) {
    return new ModelCallException(ModelCodes.INVALID_REQUEST, 400, message, param, null, false);
  }

  /**
   * The same failure (code, status, member, wait, retry) with another message: what a policy step
   * made of the provider's words in this one ({@link dev.gatehouse.activities.chain.PolicyStep#failed}).
   */
  public ModelCallException withMessage(String message) {
    return new ModelCallException(code, status, message, param, retryAfter, retryable, rateLimits);
  }

  public String code() {
    return code;
  }

  public int status() {
    return status;
  }

  public String param() {
    return param;
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  public boolean retryable() {
    return retryable;
  }

  /** What the rate-limit policy that refused the call said, or null when none did. */
  public RateLimitStatus rateLimits() {
    return rateLimits;
  }
}
