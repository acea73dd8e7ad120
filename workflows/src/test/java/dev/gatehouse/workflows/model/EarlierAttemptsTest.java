package dev.gatehouse.workflows.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.workflows.limits.RateLimitWaits;
import io.temporal.api.enums.v1.RetryState;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EarlierAttemptsTest {
  private static final EarlierAttempts BILLED = new EarlierAttempts(2, 600, 200, "0.08");

  private static ActivityFailure ended(ApplicationFailure cause) {
    return new ActivityFailure("failed", 5, 6, "Model.Call", "1", RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE, "worker", cause);
  }

  @Test
  void addsAttemptsTokensAndCostsAnUnpricedAttemptAddingNoCost() {
    EarlierAttempts one = EarlierAttempts.plus(null, new ModelCallUsage(300, 100, 100, 0, false), "0.04");
    assertThat(one).isEqualTo(new EarlierAttempts(1, 300, 100, "0.04"));
    assertThat(EarlierAttempts.plus(one, new ModelCallUsage(10, 0, 5, 0, true), null)).isEqualTo(new EarlierAttempts(2, 310, 105, "0.04"));
    assertThat(EarlierAttempts.plus(one, null, "0.01")).isEqualTo(new EarlierAttempts(2, 300, 100, "0.05"));
  }

  @Test
  void theBudgetLeftIsTheTasksLessWhatWasBilledNeverBelowNothing() {
    assertThat(BILLED.less(new ModelBudget(1_000L, "1.00"))).isEqualTo(new ModelBudget(200L, "0.92"));
    assertThat(BILLED.less(new ModelBudget(500L, "0.05"))).isEqualTo(new ModelBudget(0L, "0"));
    assertThat(BILLED.less(new ModelBudget(null, null))).isEqualTo(new ModelBudget(null, null));
    assertThat(BILLED.less(null)).isNull();
  }

  @Test
  void aRefusalKeepsItsWaitFirstAndCarriesWhatWasBilledAfterIt() {
    ApplicationFailure refused = EarlierAttempts.attachTo(RateLimitWaits.failure("rate limited", Duration.ofSeconds(3)), BILLED);
    assertThat(refused.getType()).isEqualTo(RateLimitWaits.TYPE);
    assertThat(refused.isNonRetryable()).isTrue();
    assertThat(refused.getOriginalMessage()).isEqualTo("rate limited");
    assertThat(RateLimitWaits.waitOf(ended(refused))).isEqualTo(Duration.ofSeconds(3));
    assertThat(EarlierAttempts.of(ended(refused))).isEqualTo(BILLED);
  }

  @Test
  void anyOtherFailureCarriesThemFirstAndKeepsItsRetryDelay() {
    ApplicationFailure failed =
        EarlierAttempts.attachTo(ApplicationFailure.newFailureWithCauseAndDelay("busy", "upstream_error", null, Duration.ofSeconds(2)), BILLED);
    assertThat(failed.isNonRetryable()).isFalse();
    assertThat(failed.getNextRetryDelay()).isEqualTo(Duration.ofSeconds(2));
    assertThat(EarlierAttempts.of(ended(failed))).isEqualTo(BILLED);
  }

  @Test
  void failuresThatSayNothingOfThemGiveNothing() {
    // As histories written before them hold, and a failure nothing was billed before.
    assertThat(EarlierAttempts.of(ended(RateLimitWaits.failure("rate limited", Duration.ofSeconds(3))))).isNull();
    assertThat(EarlierAttempts.of(ended(ApplicationFailure.newNonRetryableFailure("no budget", ModelBudget.BUDGET_EXCEEDED)))).isNull();
    ApplicationFailure plain = ApplicationFailure.newFailure("x", "upstream_error");
    assertThat(EarlierAttempts.attachTo(plain, null)).isSameAs(plain);
    // A detail of another kind where they would be is not taken for them.
    assertThat(EarlierAttempts.of(ended(ApplicationFailure.newFailure("x", "upstream_error", "not billing")))).isNull();
  }
}
