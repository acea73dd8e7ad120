package dev.gatehouse.frontend.core.durable;

import java.time.Instant;

/** Times as every task answer shows them: ISO-8601 UTC text, or null. */
public final class Instants {
  private Instants() {}

  public static String iso(Instant t) {
    return t == null ? null : t.toString();
  }
}
