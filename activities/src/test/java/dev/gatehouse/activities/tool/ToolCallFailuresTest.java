package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.policies.Decision;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import org.junit.jupiter.api.Test;

/** The one mapping of the tool chain's denials to failure types, and of exceptions to outcomes. */
class ToolCallFailuresTest {
  private final ToolCallFailures failures = ToolCallFailures.INSTANCE;

  @Test
  void denialsBecomeNonRetryableFailuresOfTheirCodesTypeWithThePolicysReason() {
    assertThat(failures.denied(Decision.deny("access", "tool_not_allowed", "no access")))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.TOOL_NOT_ALLOWED);
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).isEqualTo("no access");
        });
    assertThat(failures.denied(Decision.deny("argument-schema", "invalid_arguments", "bad")))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.type()).isEqualTo(ToolFailureTypes.INVALID_ARGUMENTS));
    assertThat(failures.denied(Decision.deny("pii-strict@2", "pii_detected", "found")))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.PII_DETECTED);
          assertThat(e.retryable()).isFalse();
        });
    assertThat(failures.denied(Decision.deny("guard@1", "guardrail_blocked", "injection")))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.type()).isEqualTo(ToolFailureTypes.GUARDRAIL_BLOCKED));
  }

  @Test
  void aDenialCodeWithoutAToolFailureTypeIsABugNotAGuess() {
    assertThatThrownBy(() -> failures.denied(Decision.deny("rate-limit", "rate_limited", "slow down")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rate_limited");
  }

  @Test
  void failuresAreRecordedUnderTheirTypeAndAnythingElseAsAnInternalError() {
    assertThat(failures.typeOf(new ToolCallException(ToolFailureTypes.UPSTREAM_ERROR, "down", true))).isEqualTo("UpstreamError");
    assertThat(failures.typeOf(new IllegalStateException("bug"))).isEqualTo("InternalError");
  }
}
