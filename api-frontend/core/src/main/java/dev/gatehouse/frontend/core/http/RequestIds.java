package dev.gatehouse.frontend.core.http;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * New request ids: {@code req_} and 32 hex digits (128 random bits). They only have to tell
 * requests apart in the logs, so the bits come from {@link ThreadLocalRandom}: a {@code UUID}'s
 * SecureRandom is a lock and a read of the system's entropy on every request.
 */
public final class RequestIds {
  private static final HexFormat HEX = HexFormat.of();
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private RequestIds() {}

  /** The caller's {@code X-Request-Id} when it is sane (1 to 128 of {@code A-Za-z0-9._:-}), else a new id. */
  public static String fromHeader(String header) {
    return header != null && SANE.matcher(header).matches() ? header : newId();
  }

  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return "req_" + HEX.toHexDigits(random.nextLong()) + HEX.toHexDigits(random.nextLong());
  }
}
