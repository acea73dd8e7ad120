package dev.gatehouse.registry;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations people write in YAML and query strings: {@code 200ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h|d)");

  /**
   * The longest duration read anywhere (3650 days): far beyond any sensible timeout or interval,
   * and well inside what the workflow engine can carry (it counts in nanoseconds, about 292 years).
   */
  public static final Duration MAX = Duration.ofDays(3650);

  private Durations() {}

  /** Throws {@link IllegalArgumentException} with a readable message for anything else, or for more than {@link #MAX}. */
  public static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (write it like 200ms, 5s, 2m, 1h or 1d)");
    }
    long n = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
    if (d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("'" + text + "' is longer than the longest duration Gatehouse reads (3650d)");
    }
    return d;
  }

  /** The shortest of the forms {@link #parse} reads back to the same duration. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000 == 0 && ms > 0) return ms / 86_400_000 + "d";
    if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
    if (ms % 60_000 == 0 && ms > 0) return ms / 60_000 + "m";
    if (ms % 1000 == 0 && ms > 0) return ms / 1000 + "s";
    return ms + "ms";
  }
}
