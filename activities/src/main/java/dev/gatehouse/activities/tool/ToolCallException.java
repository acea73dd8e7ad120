package dev.gatehouse.activities.tool;

import dev.gatehouse.activities.policy.RateLimitStatus;

/**
 * A tool call that did not produce a result. {@code type} is one of
 * {@link dev.gatehouse.workflows.tool.ToolFailureTypes}; {@code retryable} says whether another
 * attempt could succeed, and {@code retryAfter} how long the upstream asked to wait before it
 * (its {@code Retry-After}), if it did; {@code rateLimits} is what a rate-limit policy that
 * refused the call said (type {@code RateLimited}), null otherwise. Messages never hold credentials or upstream URLs' query
 * strings.
 */
public class ToolCallException extends RuntimeException {
  private final String type;
  private final boolean retryable;
  private final int httpStatus;
  private final java.time.Duration retryAfter;
  private final RateLimitStatus rateLimits;

  public ToolCallException(String type, String message, boolean retryable) {
    this(type, message, retryable, 0);
  }

  public ToolCallException(String type, String message, boolean retryable, int httpStatus) {
    this(type, message, retryable, httpStatus, null);
  }

  public ToolCallException(String type, String message, boolean retryable, int httpStatus, java.time.Duration retryAfter) {
    this(type, message, retryable, httpStatus, retryAfter, null);
  }

  /** A rate-limit policy's refusal: retryable after {@code rateLimits.retryAfter()}. */
  public ToolCallException(String type, String message, RateLimitStatus rateLimits) {
    this(type, message, true, 429, rateLimits.retryAfter(), rateLimits);
  }

  private ToolCallException(
      String type, String message, boolean retryable, int httpStatus, java.time.Duration retryAfter, RateLimitStatus rateLimits) {
    super(message);
    this.rateLimits = rateLimits;
    this.type = type;
    this.retryable = retryable;
    this.httpStatus = httpStatus;
    this.retryAfter = retryAfter;
  }

  /**
   * The same failure (type, retry, status, wait) with another message: what a policy step made of
   * the upstream's words in this one ({@link dev.gatehouse.activities.chain.PolicyStep#failed}).
   */
  public ToolCallException withMessage(String message) {
    ToolCallException copy = new ToolCallException(type, message, retryable, httpStatus, retryAfter, rateLimits);
    copy.setStackTrace(getStackTrace());
    return copy;
  }

  /** The wait the upstream asked for before another attempt ({@code Retry-After}), if any. */
  public java.util.Optional<java.time.Duration> retryAfter() {
    return java.util.Optional.ofNullable(retryAfter);
  }

  /** The upstream's HTTP status when it answered, else 0. */
  public int httpStatus() {
    return httpStatus;
  }

  /** What the rate-limit policy that refused the call said, or null when none did. */
  public RateLimitStatus rateLimits() {
    return rateLimits;
  }

  public String type() {
    return type;
  }

  public boolean retryable() {
    return retryable;
  }
}
