package dev.gatehouse.activities.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * An upstream's {@code Retry-After} header (RFC 9110, section 10.2.3): delay-seconds or an
 * HTTP-date. Anything else is ignored, as the RFC allows.
 */
public final class RetryAfter {
  private RetryAfter() {}

  /** How long from {@code now} the header asks to wait; empty when absent or not valid. */
  public static Optional<Duration> parse(String header, Instant now) {
    if (header == null || header.isBlank()) {
      return Optional.empty();
    }
    String value = header.strip();
    if (value.chars().allMatch(Character::isDigit)) {
      // Any number of digits is valid; more than a day's worth is as good as "too long".
      return Optional.of(value.length() > 9 ? Duration.ofSeconds(999_999_999) : Duration.ofSeconds(Long.parseLong(value)));
    }
    try {
      Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
    } catch (DateTimeParseException notADate) {
      return Optional.empty();
    }
  }
}
