package dev.gatehouse.frontend.models;

import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.policy.RateLimitStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rate-limit headers each face's SDKs read, from what the governing rate-limit policies said
 * of a call (the tightest requests and tokens buckets). OpenAI: {@code x-ratelimit-limit-requests},
 * {@code x-ratelimit-remaining-requests}, {@code x-ratelimit-reset-requests} (a duration such as
 * {@code 6m0s} or {@code 20ms}) and the {@code -tokens} variants. Anthropic: {@code
 * anthropic-ratelimit-requests-limit}, {@code -remaining}, {@code -reset} (an RFC 3339 time) and
 * the {@code tokens} variants. A refusal adds {@code Retry-After} (whole seconds, at least 1).
 */
final class RateLimitHeaders {
  private RateLimitHeaders() {}

  static Map<String, String> of(Dialect dialect, RateLimitStatus status) {
    Map<String, String> h = new LinkedHashMap<>();
    if (status == null) {
      return h;
    }
    Instant now = Instant.now();
    window(h, dialect, "requests", status.requests(), now);
    window(h, dialect, "tokens", status.tokens(), now);
    if (status.refused()) {
      h.put("Retry-After", Long.toString(status.retryAfterSeconds()));
    }
    return h;
  }

  private static void window(Map<String, String> h, Dialect dialect, String what, RateLimitStatus.Window w, Instant now) {
    if (w == null) {
      return;
    }
    if (dialect == Dialect.ANTHROPIC) {
      h.put("anthropic-ratelimit-" + what + "-limit", Long.toString(w.limit()));
      h.put("anthropic-ratelimit-" + what + "-remaining", Long.toString(w.remaining()));
      h.put("anthropic-ratelimit-" + what + "-reset", now.plus(w.reset()).truncatedTo(ChronoUnit.SECONDS).toString());
    } else {
      h.put("x-ratelimit-limit-" + what, Long.toString(w.limit()));
      h.put("x-ratelimit-remaining-" + what, Long.toString(w.remaining()));
      h.put("x-ratelimit-reset-" + what, goDuration(w.reset()));
    }
  }

  /** A duration as OpenAI writes it: {@code 20ms}, {@code 1.5s}, {@code 6m0s}, {@code 1h2m0s}. */
  static String goDuration(Duration d) {
    long millis = Math.max(0, d.toMillis());
    if (millis < 1000) {
      return millis + "ms";
    }
    long hours = millis / 3_600_000;
    long minutes = millis / 60_000 % 60;
    long ms = millis % 60_000;
    String seconds = ms % 1000 == 0 ? Long.toString(ms / 1000) : stripZeros(ms / 1000 + "." + String.format("%03d", ms % 1000));
    StringBuilder sb = new StringBuilder();
    if (hours > 0) {
      sb.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      sb.append(minutes).append('m');
    }
    return sb.append(seconds).append('s').toString();
  }

  private static String stripZeros(String decimal) {
    int end = decimal.length();
    while (decimal.charAt(end - 1) == '0') {
      end--;
    }
    return decimal.substring(0, end);
  }
}
