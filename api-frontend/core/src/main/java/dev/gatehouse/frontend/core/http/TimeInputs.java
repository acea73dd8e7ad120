package dev.gatehouse.frontend.core.http;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Points in time a client gives (a key's {@code expiresAt}, an audit query's {@code since}):
 * ISO-8601 with an offset, between the years 1 and 9999 ({@link #MIN} and {@link #MAX}), which
 * every store of Gatehouse's holds (PostgreSQL's {@code timestamptz} ends in the year 294276,
 * Java's {@code Instant} much later). Anything else is 400 {@code invalid_request} naming the field.
 */
public final class TimeInputs {
  public static final Instant MIN = Instant.parse("0001-01-01T00:00:00Z");
  public static final Instant MAX = Instant.parse("9999-12-31T23:59:59.999999Z");

  private TimeInputs() {}

  /** The instant {@code text} names, or 400 naming {@code field}. */
  public static Instant parse(String text, String field) {
    Instant t;
    try {
      t = OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException | NullPointerException e) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST, "'" + field + "' must be an ISO-8601 time such as 2027-01-31T00:00:00Z");
    }
    return check(t, field);
  }

  /** {@code t} when it lies between {@link #MIN} and {@link #MAX}, else 400 naming {@code field}. */
  public static Instant check(Instant t, String field) {
    if (t.isBefore(MIN) || t.isAfter(MAX)) {
      throw new ApiException(
          ErrorCode.INVALID_REQUEST, "'" + field + "' must lie between the years 1 and 9999");
    }
    return t;
  }
}
