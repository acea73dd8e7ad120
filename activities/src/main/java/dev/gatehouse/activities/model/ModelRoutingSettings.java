package dev.gatehouse.activities.model;

import java.time.Duration;

/**
 * How the model router treats failing providers and large answers: {@code coolDownAfter}
 * consecutive failures take a provider out of rotation for {@code coolDown}; {@code
 * maxRetryAfter} is the longest {@code Retry-After} a retry waits for in a direct call (longer:
 * fall back at once); {@code maxResponseBytes} bounds a non-streamed answer; {@code
 * maxStreamEventBytes} one streamed event; {@code cacheTtl} how long model and provider definitions, and providers' filled-in credentials, are cached;
 * {@code maxStreamDuration} how long one provider stream may last in all (a provider that keeps it
 * open with keep-alive comments alone is ended then, if its idle timeout did not end it first);
 * {@code streamKeepAlive} how long a client's stream may go without a write before Gatehouse
 * writes it a keep-alive comment (zero: never).
 */
public record ModelRoutingSettings(
    int coolDownAfter,
    Duration coolDown,
    Duration maxRetryAfter,
    int maxResponseBytes,
    int maxStreamEventBytes,
    Duration cacheTtl,
    Duration maxStreamDuration,
    Duration streamKeepAlive) {

  /** How long a stream may last in all when the settings do not say. */
  public static final Duration DEFAULT_MAX_STREAM_DURATION = Duration.ofMinutes(10);

  /**
   * How long a client's stream goes without a write before it gets a keep-alive comment, when the
   * settings do not say: well inside the 60 s idle timeout of common proxies and load balancers.
   */
  public static final Duration DEFAULT_STREAM_KEEP_ALIVE = Duration.ofSeconds(15);

  public static final ModelRoutingSettings DEFAULTS =
      new ModelRoutingSettings(3, Duration.ofSeconds(30), Duration.ofSeconds(5), 8 * 1024 * 1024, 1024 * 1024, Duration.ofSeconds(5));

  /** The settings with the default {@link #maxStreamDuration} and {@link #streamKeepAlive}. */
  public ModelRoutingSettings(
      int coolDownAfter, Duration coolDown, Duration maxRetryAfter, int maxResponseBytes, int maxStreamEventBytes, Duration cacheTtl) {
    this(coolDownAfter, coolDown, maxRetryAfter, maxResponseBytes, maxStreamEventBytes, cacheTtl, DEFAULT_MAX_STREAM_DURATION);
  }

  /** The settings with the default {@link #streamKeepAlive}. */
  public ModelRoutingSettings(
      int coolDownAfter, Duration coolDown, Duration maxRetryAfter, int maxResponseBytes, int maxStreamEventBytes, Duration cacheTtl,
      Duration maxStreamDuration) {
    this(coolDownAfter, coolDown, maxRetryAfter, maxResponseBytes, maxStreamEventBytes, cacheTtl, maxStreamDuration,
        DEFAULT_STREAM_KEEP_ALIVE);
  }
}
