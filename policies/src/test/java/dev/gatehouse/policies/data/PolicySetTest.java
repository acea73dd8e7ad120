package dev.gatehouse.policies.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.policies.guardrails.FindingKind;
import dev.gatehouse.policies.guardrails.GuardrailAction;
import dev.gatehouse.policies.pii.PiiPolicy;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.policies.PolicyDefinition.AppliesTo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Compiled policy entries: which calls each governs, what its PII and guardrail parts do, and what compiling refuses. */
class PolicySetTest {

  static PolicyDefinition rpm(String name, AppliesTo to) {
    return new PolicyDefinition(name, "ten_1", "rate-limit", to, new PolicyDefinition.RateLimit(10, null, "agent"), null, null, null, 3);
  }

  static PolicyDefinition pii(String name, String action, List<String> on, List<PolicyDefinition.CustomPattern> custom) {
    return new PolicyDefinition(
        name, null, "pii", new AppliesTo(null, null, null), null, null, new PolicyDefinition.Pii(action, List.of(), custom, on), null, 1);
  }

  @Test
  void appliesToNarrowsByAgentToolAndModel() {
    CompiledPolicy all = PolicyCompiler.compile(rpm("all", new AppliesTo(null, null, null)));
    assertThat(all.governs("bot", CallKind.TOOL, "crm.read")).isTrue();
    assertThat(all.governs("bot", CallKind.MODEL, "gpt")).isTrue();
    assertThat(all.ref()).isEqualTo("all@3");

    CompiledPolicy tools = PolicyCompiler.compile(rpm("tools", new AppliesTo(List.of("bot"), List.of("crm.*"), null)));
    assertThat(tools.governs("bot", CallKind.TOOL, "crm.read")).isTrue();
    assertThat(tools.governs("bot", CallKind.TOOL, "billing.charge")).isFalse();
    assertThat(tools.governs("other", CallKind.TOOL, "crm.read")).isFalse();
    // A policy that lists only tools governs no model call.
    assertThat(tools.governs("bot", CallKind.MODEL, "crm.read")).isFalse();

    CompiledPolicy both = PolicyCompiler.compile(rpm("both", new AppliesTo(null, List.of("kb.search"), List.of("gpt-*"))));
    assertThat(both.governs("any", CallKind.TOOL, "kb.search")).isTrue();
    assertThat(both.governs("any", CallKind.MODEL, "gpt-4o")).isTrue();
    assertThat(both.governs("any", CallKind.MODEL, "claude")).isFalse();
    assertThat(both.governs("any", CallKind.TOOL, "gpt-4o")).isFalse();
  }

  /**
   * The global entries act before the tenant's own: a probe's tenant named its redaction to come
   * first ({@code 0-mask}) and a global {@code zz-block} then found nothing to block.
   */
  @Test
  void theGlobalEntriesComeBeforeTheTenantsEachInNameOrder() {
    PolicyDefinition tenantMask = pii("0-mask", "redact", List.of(), List.of()).withTenant("ten_1");
    PolicySet set = PolicySet.of(List.of(
        tenantMask,
        pii("a-global", "record", List.of(), List.of()),
        pii("b-tenant", "redact", List.of(), List.of()).withTenant("ten_1"),
        pii("zz-block", "block", List.of(), List.of())));
    assertThat(set.governing(PolicyDefinition.PII, "bot", CallKind.MODEL, "gpt"))
        .extracting(CompiledPolicy::name).containsExactly("a-global", "zz-block", "0-mask", "b-tenant");
  }

  @Test
  void aSetAnswersTheGoverningPoliciesOfAKindInNameOrder() {
    PolicySet set = PolicySet.of(List.of(
        rpm("a-tools", new AppliesTo(null, List.of("crm.*"), null)),
        rpm("b-all", new AppliesTo(null, null, null)),
        pii("c-pii", "redact", List.of(), List.of())));
    assertThat(set.governing(PolicyDefinition.RATE_LIMIT, "bot", CallKind.TOOL, "crm.read"))
        .extracting(CompiledPolicy::name).containsExactly("a-tools", "b-all");
    assertThat(set.governing(PolicyDefinition.RATE_LIMIT, "bot", CallKind.MODEL, "gpt"))
        .extracting(CompiledPolicy::name).containsExactly("b-all");
    assertThat(set.governing(PolicyDefinition.BUDGET, "bot", CallKind.MODEL, "gpt")).isEmpty();
    assertThat(PolicySet.EMPTY.governing(PolicyDefinition.PII, "bot", CallKind.MODEL, "gpt")).isEmpty();
  }

  @Test
  void aPiiEntryCompilesToItsActionDetectorsAndPlaces() {
    CompiledPolicy p = PolicyCompiler.compile(
        pii("p", "redact", List.of("model-answers"), List.of(new PolicyDefinition.CustomPattern("EMPLOYEE_ID", "E-[0-9]{6}"))));
    assertThat(p.piiAt("model-answers")).isTrue();
    assertThat(p.piiAt("tool-results")).isFalse();
    assertThat(p.pii().action()).isEqualTo(PiiPolicy.Action.REDACT);
    assertThat(p.pii().check("mail bob@example.com about E-123456").text())
        .isEqualTo("mail [EMAIL] about [EMPLOYEE_ID]");
    // None listed: every place.
    assertThat(PolicyCompiler.compile(pii("q", "block", List.of(), List.of())).piiPlaces())
        .containsExactlyInAnyOrder("tool-arguments", "tool-results", "model-requests", "model-answers");
  }

  @Test
  void aGuardrailEntryCompilesToItsChecksAndActions() {
    PolicyDefinition g = new PolicyDefinition(
        "g", null, "guardrail", null, null, null, null,
        new PolicyDefinition.Guardrail(List.of("exfil-link", "deny-pattern"), Map.of("exfil-link", "flag"), List.of(), List.of("secret plan"), 500, null),
        1);
    CompiledPolicy c = PolicyCompiler.compile(g);
    assertThat(c.guardrail().config().enabled()).contains(FindingKind.EXFIL_LINK, FindingKind.DENY_PATTERN)
        .doesNotContain(FindingKind.PROMPT_INJECTION);
    assertThat(c.guardrail().config().action(FindingKind.EXFIL_LINK)).isEqualTo(GuardrailAction.FLAG);
    assertThat(c.guardrail().config().maxResponseChars()).isEqualTo(500);
    assertThat(c.guardrail().inspectResponse("the secret plan is here").blocked()).isTrue();
  }

  @Test
  void whatOnlyThePoliciesCanJudgeIsRefusedAsAnInvalidRegistry() {
    // Catastrophic backtracking, and a custom name that would pass for a built-in mask.
    assertThatThrownBy(() -> PolicyCompiler.checked(pii("p", "redact", List.of(), List.of(new PolicyDefinition.CustomPattern("X", "(a+)+b")))))
        .isInstanceOf(RegistryException.class)
        .hasMessageStartingWith("policy (p).pii.custom[0].pattern: custom pattern X is refused");
    assertThatThrownBy(() -> PolicyCompiler.checked(pii("p", "redact", List.of(), List.of(new PolicyDefinition.CustomPattern("EMAIL", "x")))))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("cannot be named like the built-in kind EMAIL");
    PolicyDefinition badHost = new PolicyDefinition(
        "g", null, "guardrail", null, null, null, null,
        new PolicyDefinition.Guardrail(List.of(), Map.of(), List.of("not a host"), List.of(), null, null), 1);
    assertThatThrownBy(() -> PolicyCompiler.checked(badHost)).isInstanceOf(RegistryException.class).hasMessageStartingWith("policy (g).guardrail: ");
  }
}
