package dev.gatehouse.activities.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryAfterTest {
  private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");

  @Test
  void delaySecondsAndHttpDatesAreRead() {
    assertThat(RetryAfter.parse("2", NOW)).contains(Duration.ofSeconds(2));
    assertThat(RetryAfter.parse(" 120 ", NOW)).contains(Duration.ofMinutes(2));
    assertThat(RetryAfter.parse("0", NOW)).contains(Duration.ZERO);
    assertThat(RetryAfter.parse("Sun, 29 Nov 2026 10:01:30 GMT", NOW)).contains(Duration.ofSeconds(90));
    // A date already past asks for no wait.
    assertThat(RetryAfter.parse("Sun, 29 Nov 2026 09:00:00 GMT", NOW)).contains(Duration.ZERO);
    // Absurdly many digits are a very long wait, not an overflow.
    assertThat(RetryAfter.parse("99999999999999999999999", NOW).orElseThrow()).isGreaterThan(Duration.ofDays(365));
  }

  @Test
  void anythingElseIsIgnored() {
    for (String value : new String[] {null, "", "  ", "-5", "1.5", "soon", "2 s", "Sunday", "\u0000"}) {
      assertThat(RetryAfter.parse(value, NOW)).as(String.valueOf(value)).isEmpty();
    }
  }
}
