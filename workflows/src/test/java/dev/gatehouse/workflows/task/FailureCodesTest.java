package dev.gatehouse.workflows.task;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.api.enums.v1.RetryState;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.api.enums.v1.TimeoutType;
import org.junit.jupiter.api.Test;

class FailureCodesTest {

  @Test
  void failureTypesReadLikeErrorCodes() {
    assertThat(FailureCodes.of("ToolNotAllowed")).isEqualTo("tool_not_allowed");
    assertThat(FailureCodes.of("UnknownTool")).isEqualTo("unknown_tool");
    assertThat(FailureCodes.of("StepFailed")).isEqualTo("step_failed");
    assertThat(FailureCodes.of("already_snake")).isEqualTo("already_snake");
  }

  @Test
  void aFailureTypedByAJavaClassIsAnInternalErrorNotTheClassName() {
    // The engine types what an activity threw, untyped, by its class: a pipeline step failed with
    // the cause "java.lang._stack_overflow_error".
    assertThat(FailureCodes.of("java.lang.StackOverflowError")).isEqualTo("internal_error");
    assertThat(FailureCodes.of("java.lang.NullPointerException")).isEqualTo("internal_error");
    ApplicationFailure thrown = ApplicationFailure.newFailure(null, "java.lang.IllegalStateException");
    ActivityFailure wrapped =
        new ActivityFailure("activity failed", 5, 6, "Tool.Call", "call", RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, "worker", thrown);
    assertThat(FailureCodes.of(wrapped)).isEqualTo("internal_error");
  }

  @Test
  void anActivityFailureTheWorkflowLetThroughIsNamedByItsCause() {
    ApplicationFailure refused = ApplicationFailure.newNonRetryableFailure("the upstream said 422", "UpstreamClientError");
    ActivityFailure wrapped =
        new ActivityFailure("activity failed", 5, 6, "Tool.Call", "call", RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE, "worker", refused);
    assertThat(FailureCodes.of(wrapped)).isEqualTo("upstream_client_error");
    assertThat(FailureCodes.messageOf(wrapped)).isEqualTo("the upstream said 422");
  }

  @Test
  void aStepThatRanPastItsTimeoutIsTimedOutAndOtherFailuresWithoutATypeAreWorkflowFailed() {
    TimeoutFailure timeout = new TimeoutFailure("timed out", null, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    ActivityFailure wrapped =
        new ActivityFailure("activity failed", 5, 6, "Tool.Call", "call", RetryState.RETRY_STATE_TIMEOUT, "worker", timeout);
    assertThat(FailureCodes.of(wrapped)).isEqualTo(FailureCodes.TIMED_OUT);
    assertThat(FailureCodes.of(ApplicationFailure.newFailure("no type", ""))).isEqualTo(FailureCodes.WORKFLOW_FAILED);
  }
}
