package dev.gatehouse.frontend.core.http;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * New request ids: {@code req_} and 32 hex digits (128 random bits). They only have to tell
 * requests apart in the logs, so the bits come from {@link ThreadLocalRandom}: a {@code UUID}'s
 * SecureRandom is a lock and a read of the system's entropy on every request.
 */
public final class RequestIds {
  private static final HexFormat HEX = HexFormat.of();

  private RequestIds() {}

  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return "req_" + HEX.toHexDigits(random.nextLong()) + HEX.toHexDigits(random.nextLong());
  }
}
