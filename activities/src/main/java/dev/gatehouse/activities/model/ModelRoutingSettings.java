package dev.gatehouse.activities.model;

import java.time.Duration;

/**
 * How the model router treats failing providers and large answers: {@code coolDownAfter}
 * consecutive failures take a provider out of rotation for {@code coolDown}; {@code
 * maxRetryAfter} is the longest {@code Retry-After} a retry waits for in a direct call (longer:
 * fall back at once); {@code maxResponseBytes} bounds a non-streamed answer; {@code
 * maxStreamEventBytes} one streamed event; {@code cacheTtl} how long model and provider definitions, and providers' filled-in credentials, are cached.
 */
public record ModelRoutingSettings(
    int coolDownAfter, Duration coolDown, Duration maxRetryAfter, int maxResponseBytes, int maxStreamEventBytes, Duration cacheTtl) {

  public static final ModelRoutingSettings DEFAULTS =
      new ModelRoutingSettings(3, Duration.ofSeconds(30), Duration.ofSeconds(5), 8 * 1024 * 1024, 1024 * 1024, Duration.ofSeconds(5));
}
