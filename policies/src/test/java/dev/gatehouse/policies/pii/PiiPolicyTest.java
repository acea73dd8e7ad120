package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.policies.Decision;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PiiPolicyTest {
  private static final String TEXT = "Card 4111 1111 1111 1111, mail alice@example.com, key AKIAIOSFODNN7EXAMPLE.";
  private final ObjectMapper json = new ObjectMapper();

  private static PiiPolicy policy(PiiPolicy.Action action) {
    return PiiPolicy.of(action, EnumSet.of(PiiKind.CARD, PiiKind.EMAIL, PiiKind.CREDENTIAL), List.of());
  }

  @Test
  void redactPassesTheTextOnMasked() {
    PiiPolicy.TextResult r = policy(PiiPolicy.Action.REDACT).check(TEXT);
    assertThat(r.decision().allowed()).isTrue();
    assertThat(r.decision().policy()).isEqualTo("pii");
    assertThat(r.text()).isEqualTo("Card [CARD], mail [EMAIL], key [CREDENTIAL].");
    assertThat(r.findings().toString()).isEqualTo("1 CARD, 1 CREDENTIAL, 1 EMAIL");
  }

  @Test
  void blockDeniesWithAStableCodeAndAReasonWithoutTheValues() {
    PiiPolicy.TextResult r = policy(PiiPolicy.Action.BLOCK).check(TEXT);
    Decision d = r.decision();
    assertThat(d.allowed()).isFalse();
    assertThat(d.code()).isEqualTo("pii_detected").isEqualTo(PiiPolicy.PII_DETECTED);
    assertThat(d.reason()).contains("1 CARD").contains("1 EMAIL").doesNotContain("4111").doesNotContain("alice").doesNotContain("AKIA");
    assertThat(r.text()).isNull();
  }

  @Test
  void blockAllowsCleanText() {
    PiiPolicy.TextResult r = policy(PiiPolicy.Action.BLOCK).check("nothing to see");
    assertThat(r.decision().allowed()).isTrue();
    assertThat(r.text()).isEqualTo("nothing to see");
  }

  @Test
  void recordPassesTheTextOnUnchangedAndCounts() {
    PiiPolicy.TextResult r = policy(PiiPolicy.Action.RECORD).check(TEXT);
    assertThat(r.decision().allowed()).isTrue();
    assertThat(r.text()).isSameAs(TEXT);
    assertThat(r.findings().total()).isEqualTo(3);
  }

  @Test
  void disabledKindsPass() {
    PiiPolicy p = PiiPolicy.of(PiiPolicy.Action.BLOCK, Set.of(PiiKind.US_SSN), List.of());
    assertThat(p.check(TEXT).decision().allowed()).isTrue();
  }

  @Test
  void jsonTreesPerAction() throws Exception {
    JsonNode tree = json.readTree("{\"q\":\"mail alice@example.com\"}");
    assertThat(policy(PiiPolicy.Action.REDACT).check(tree).tree().toString()).isEqualTo("{\"q\":\"mail [EMAIL]\"}");
    PiiPolicy.JsonResult blocked = policy(PiiPolicy.Action.BLOCK).check(tree);
    assertThat(blocked.decision().code()).isEqualTo("pii_detected");
    assertThat(blocked.tree()).isNull();
    PiiPolicy.JsonResult recorded = policy(PiiPolicy.Action.RECORD).check(tree);
    assertThat(recorded.tree()).isSameAs(tree);
    assertThat(recorded.findings().count("EMAIL")).isEqualTo(1);
  }

  @Test
  void customPatternsApplyWithTheirNames() {
    PiiPolicy p = PiiPolicy.of(PiiPolicy.Action.REDACT, Set.of(), List.of(PiiDetector.custom("employee_id", "\\bEMP-[0-9]{6}\\b")));
    PiiPolicy.TextResult r = p.check("Employee EMP-004211 left.");
    assertThat(r.text()).isEqualTo("Employee [EMPLOYEE_ID] left.");
    assertThat(r.findings().byKind()).containsEntry(PiiKind.CUSTOM, 1);
  }

  @Test
  void aStreamFollowsThePolicysAction() {
    StreamingRedactor s = policy(PiiPolicy.Action.REDACT).stream();
    assertThat(s.push("mail alice@exa") + s.push("mple.com.") + s.finish()).isEqualTo("mail [EMAIL].");
    StreamingRedactor b = policy(PiiPolicy.Action.BLOCK).stream();
    assertThat(b.push("mail alice@example.com ") + b.finish()).isEqualTo("mail ");
    assertThat(b.blocked()).isTrue();
  }

  @Test
  void emptyAndNullInputsAreAllowed() {
    assertThat(policy(PiiPolicy.Action.BLOCK).check("").decision().allowed()).isTrue();
    assertThat(policy(PiiPolicy.Action.BLOCK).check((String) null).decision().allowed()).isTrue();
    assertThat(policy(PiiPolicy.Action.BLOCK).check((JsonNode) null).decision().allowed()).isTrue();
  }
}
