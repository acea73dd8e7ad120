package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The cool-down of providers, on a clock of the test's own. */
class CoolDownsTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final CoolDowns coolDowns = new CoolDowns(3, Duration.ofSeconds(30), now::get);

  private void pass(Duration d) {
    now.addAndGet(d.toNanos());
  }

  /**
   * A provider answering 429s is rate limited, for as long as it says: past three of them in a row
   * it was skipped for the whole 30 s cool-down (and calls meanwhile were told upstream_unavailable).
   */
  @Test
  void aRunOf429sCoolsDownForAsLongAsTheProviderSaidAndIsRateLimited() {
    for (int i = 0; i < 5; i++) {
      coolDowns.failure("p", true, Duration.ofSeconds(1));
      CoolDowns.Cooling c = coolDowns.cooling("p");
      assertThat(c.active()).as("failure " + i).isTrue();
      assertThat(c.rateLimited()).isTrue();
      assertThat(c.left()).isEqualTo(Duration.ofSeconds(1));
    }
    pass(Duration.ofMillis(1_001));
    assertThat(coolDowns.cooling("p").active()).as("the second it asked for is over").isFalse();
  }

  @Test
  void aRunOf429sWithoutRetryAfterCoolsDownForTheCoolDownAndIsRateLimited() {
    coolDowns.failure("p", true, null);
    coolDowns.failure("p", true, null);
    assertThat(coolDowns.cooling("p").active()).as("two failures: not yet").isFalse();
    coolDowns.failure("p", true, null);
    assertThat(coolDowns.cooling("p")).isEqualTo(new CoolDowns.Cooling(Duration.ofSeconds(30), true));
  }

  @Test
  void aRunWithAnyOtherFailureIsAnOutageForTheWholeCoolDown() {
    coolDowns.failure("p", false, null); // a 503
    coolDowns.failure("p", true, Duration.ofSeconds(1));
    coolDowns.failure("p", true, Duration.ofSeconds(1));
    CoolDowns.Cooling c = coolDowns.cooling("p");
    assertThat(c.rateLimited()).isFalse();
    assertThat(c.left()).isEqualTo(Duration.ofSeconds(30));
    // A success ends the run: the next 429 is the provider's rate limit again.
    coolDowns.success("p");
    coolDowns.failure("p", true, Duration.ofSeconds(2));
    assertThat(coolDowns.cooling("p")).isEqualTo(new CoolDowns.Cooling(Duration.ofSeconds(2), true));
  }

  @Test
  void aRetryAfterIsHonouredUpToTenMinutes() {
    coolDowns.failure("p", true, Duration.ofDays(365));
    assertThat(coolDowns.cooling("p").left()).isEqualTo(CoolDowns.MAX_COOL_DOWN);
    assertThat(coolDowns.cooling("other")).isEqualTo(CoolDowns.Cooling.NONE);
  }
}
