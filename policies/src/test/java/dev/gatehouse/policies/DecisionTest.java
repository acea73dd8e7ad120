package dev.gatehouse.policies;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Decisions as values: allow, deny, transform and record, each saying which policy decided and why. */
class DecisionTest {

  @Test
  void eachKindOfDecisionSaysWhetherTheCallGoesOnWhoDecidedAndWhy() {
    Decision deny = Decision.deny("pii@2", DenialCodes.PII_DETECTED, "the tool result holds 1 EMAIL");
    assertThat(deny.allowed()).isFalse();
    assertThat(deny.code()).isEqualTo("pii_detected");

    Decision transform = Decision.transform("pii@2", "redacted EMAIL×1 in tool-results");
    assertThat(transform.allowed()).isTrue();
    assertThat(transform.code()).isEqualTo(Decision.TRANSFORMED);
    assertThat(transform.note()).isEqualTo("pii@2 redacted EMAIL×1 in tool-results");

    Decision record = Decision.record("monthly@1", "reserved 1200 tokens");
    assertThat(record.allowed()).isTrue();
    assertThat(record.code()).isEqualTo(Decision.RECORDED);
    assertThat(record.note()).isEqualTo("monthly@1 reserved 1200 tokens");

    assertThat(Decision.allow("access").code()).isNull();
    assertThat(Decision.allow("access").note()).isEqualTo("access");
  }
}
