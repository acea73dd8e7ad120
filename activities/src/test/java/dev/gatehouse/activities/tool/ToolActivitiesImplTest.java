package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.common.RetryOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The wait before a retry when the upstream sent Retry-After. */
class ToolActivitiesImplTest {
  private static final RetryOptions POLICY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofMillis(500))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofSeconds(30))
          .build();

  @Test
  void theUpstreamsWaitWinsWhenItIsTheLonger() {
    assertThat(ToolActivitiesImpl.retryDelay(Duration.ofSeconds(7), POLICY, 1)).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void thePolicysWaitWinsWhenItIsTheLonger() {
    // After attempt 4 the policy waits 500 ms * 2^3 = 4 s; after attempt 10, its 30 s maximum.
    assertThat(ToolActivitiesImpl.retryDelay(Duration.ofSeconds(1), POLICY, 4)).isEqualTo(Duration.ofSeconds(4));
    assertThat(ToolActivitiesImpl.retryDelay(Duration.ZERO, POLICY, 10)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void withoutAPolicyTheUpstreamsWaitIsTaken() {
    assertThat(ToolActivitiesImpl.retryDelay(Duration.ofSeconds(3), null, 1)).isEqualTo(Duration.ofSeconds(3));
  }
}
