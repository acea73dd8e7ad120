package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How a failed call becomes Temporal's failure, and the wait before a retry when the upstream sent Retry-After. */
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

  @Test
  void aRetryAfterBecomesTheNextAttemptsDelay() {
    ApplicationFailure f = ToolActivitiesImpl.failureOf(
        new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "t answered HTTP 429", true, 429, Duration.ofSeconds(7)), POLICY, 1);
    assertThat(f.isNonRetryable()).isFalse();
    assertThat(f.getNextRetryDelay()).isEqualTo(Duration.ofSeconds(7));
    assertThat(f.getType()).isEqualTo(ToolFailureTypes.UPSTREAM_ERROR);
  }

  @Test
  void withoutRetryAfterThePolicyDecides() {
    ApplicationFailure f = ToolActivitiesImpl.failureOf(
        new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "t answered HTTP 503", true, 503), POLICY, 1);
    assertThat(f.isNonRetryable()).isFalse();
    assertThat(f.getNextRetryDelay()).isNull();
  }

  @Test
  void aRetryAfterLongerThanGatehouseWaitsEndsTheStepInsteadOfRetryingEarly() {
    ApplicationFailure f = ToolActivitiesImpl.failureOf(
        new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "t answered HTTP 503", true, 503, Duration.ofHours(1)), POLICY, 1);
    assertThat(f.isNonRetryable()).isTrue();
    assertThat(f.getOriginalMessage()).isEqualTo("t answered HTTP 503 (it asked to retry after 3600 s, longer than the 10 minutes Gatehouse waits)");
    // A policy that waits long is no reason to refuse a short Retry-After.
    RetryOptions slow = RetryOptions.newBuilder().setInitialInterval(Duration.ofMinutes(20)).setMaximumInterval(Duration.ofMinutes(30)).build();
    assertThat(ToolActivitiesImpl.failureOf(
            new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "x", true, 429, Duration.ofSeconds(1)), slow, 1).getNextRetryDelay())
        .isEqualTo(Duration.ofMinutes(20));
  }

  /**
   * A probe's upstream asked to retry after 30 s with 8 s of the task left: the engine failed the
   * step at once with the attempt's message alone ("answered HTTP 503"), which did not say why no
   * attempt followed. The step fails so, saying why.
   */
  @Test
  void aRetryThatWouldComeAfterTheStepsTimeEndsTheStepSayingWhy() {
    ToolCallException busy = new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "t answered HTTP 503", true, 503, Duration.ofSeconds(30));
    ApplicationFailure late = ToolActivitiesImpl.failureOf(busy, POLICY, 1, Duration.ofMillis(7_200));
    assertThat(late.isNonRetryable()).isTrue();
    assertThat(late.getType()).isEqualTo(ToolFailureTypes.UPSTREAM_ERROR);
    assertThat(late.getOriginalMessage())
        .isEqualTo("t answered HTTP 503 (it asked to retry after 30 s, and the step's time, bounded by the task's timeout, runs out in 8 s)");

    // Time enough: the retry after what it asked.
    ApplicationFailure inTime = ToolActivitiesImpl.failureOf(busy, POLICY, 1, Duration.ofMinutes(5));
    assertThat(inTime.isNonRetryable()).isFalse();
    assertThat(inTime.getNextRetryDelay()).isEqualTo(Duration.ofSeconds(30));

    // No Retry-After: the policy's own backoff is what would come too late.
    ApplicationFailure byPolicy = ToolActivitiesImpl.failureOf(
        new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "t answered HTTP 500", true, 500, null), POLICY, 1, Duration.ofMillis(200));
    assertThat(byPolicy.isNonRetryable()).isTrue();
    assertThat(byPolicy.getOriginalMessage()).contains("(the next attempt would come after 1 s, and the step's time");

    // The policy's last attempt: none would follow anyway, and the message is the attempt's.
    RetryOptions once = RetryOptions.newBuilder().setMaximumAttempts(1).build();
    assertThat(ToolActivitiesImpl.failureOf(busy, once, 1, Duration.ofSeconds(7)).getOriginalMessage()).isEqualTo("t answered HTTP 503");
  }

  @Test
  void whatCannotSucceedIsNotRetriedWhateverItsRetryAfter() {
    ApplicationFailure f = ToolActivitiesImpl.failureOf(
        new ToolCallException(ToolFailureTypes.UPSTREAM_CLIENT_ERROR, "t answered HTTP 400", false, 400, Duration.ofSeconds(1)), POLICY, 1);
    assertThat(f.isNonRetryable()).isTrue();
    assertThat(f.getNextRetryDelay()).isNull();
  }
}
