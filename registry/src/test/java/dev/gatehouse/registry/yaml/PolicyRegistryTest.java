package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.entry;
import static dev.gatehouse.registry.yaml.RegistryFixtures.registry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Policy entries: each one's checks, their versions in the database, and the registry file's apply and export. */
class PolicyRegistryTest {

  static PolicyDefinition check(String yaml) {
    return PolicyEntries.check("policy", entry(PolicyDefinition.class, yaml));
  }

  @Test
  void entriesAreNormalizedSoThatAnExportReadsBackTheSame() {
    PolicyDefinition rl = check("{name: rpm, kind: Rate-Limit, rateLimit: {requestsPerMinute: 60}}");
    assertThat(rl.kind()).isEqualTo("rate-limit");
    assertThat(rl.rateLimit()).isEqualTo(new PolicyDefinition.RateLimit(60, null, "agent"));
    assertThat(rl.appliesTo()).isEqualTo(new PolicyDefinition.AppliesTo(null, null, null));
    assertThat(rl.version()).isNull();

    PolicyDefinition budget = check("{name: b, kind: budget, budget: {cost: 12.50, per: Tenant}}");
    assertThat(budget.budget()).isEqualTo(new PolicyDefinition.Budget(null, new BigDecimal("12.5"), "month", "tenant"));
    // The smallest cost there is, written as a double would write it (1.0E-6: a scale of 7) or not.
    assertThat(check("{name: b2, kind: budget, budget: {cost: 1.0E-6}}").budget().cost()).isEqualByComparingTo("0.000001");
    assertThat(check("{name: b3, kind: budget, budget: {cost: 0.0000010}}").budget().cost()).isEqualByComparingTo("0.000001");

    PolicyDefinition pii = check(
        "{name: p, kind: pii, pii: {action: REDACT, detectors: [ip, email], on: [model-answers, tool-results],"
            + " custom: [{name: EMPLOYEE_ID, pattern: 'E-[0-9]{6}'}]}}");
    // Listed values keep the canonical order, whatever order they were written in.
    assertThat(pii.pii().detectors()).containsExactly("email", "ip");
    assertThat(pii.pii().on()).containsExactly("tool-results", "model-answers");
    assertThat(pii.pii().action()).isEqualTo("redact");

    PolicyDefinition guard = check(
        "{name: g, kind: guardrail, appliesTo: {tools: ['crm.*']}, guardrail: {actions: {Exfil-Link: BLOCK},"
            + " allowedLinkHosts: [Docs.Example.com], maxResultChars: 1000}}");
    assertThat(guard.guardrail().actions()).containsEntry("exfil-link", "block");
    assertThat(guard.guardrail().allowedLinkHosts()).containsExactly("docs.example.com");
    assertThat(guard.appliesTo().tools()).containsExactly("crm.*");
  }

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of("{kind: pii}", "policy.name must be 1-128 letters, digits, '_' or '-'"),
        Arguments.of("{name: x, kind: quota}", "policy (x).kind must be one of rate-limit, budget, pii, guardrail"),
        Arguments.of("{name: x, kind: pii}", "policy (x).pii is required for a policy of kind pii"),
        Arguments.of(
            "{name: x, kind: pii, pii: {action: redact}, budget: {tokens: 1}}",
            "policy (x).budget belongs to a policy of kind budget, not pii"),
        Arguments.of("{name: x, kind: rate-limit, rateLimit: {}}", "policy (x).rateLimit needs requestsPerMinute, tokensPerMinute or both"),
        Arguments.of(
            "{name: x, kind: rate-limit, rateLimit: {requestsPerMinute: 0}}",
            "policy (x).rateLimit.requestsPerMinute must be between 1 and 1000000000"),
        Arguments.of(
            "{name: x, kind: rate-limit, appliesTo: {tools: [a]}, rateLimit: {tokensPerMinute: 10}}",
            "policy (x).rateLimit.tokensPerMinute counts model tokens; this policy applies to tools only"),
        Arguments.of(
            "{name: x, kind: rate-limit, rateLimit: {requestsPerMinute: 1, per: model}}",
            "policy (x).rateLimit.per must be one of agent, target, tenant"),
        Arguments.of("{name: x, kind: budget, budget: {period: week, tokens: 5}}", "policy (x).budget.period must be one of day, fixed, month"),
        Arguments.of("{name: x, kind: budget, budget: {cost: -1}}", "policy (x).budget.cost must be more than 0 and at most 10^9, with at most 6 decimals"),
        Arguments.of("{name: x, kind: budget, budget: {cost: 0.0000001}}", "policy (x).budget.cost must be more than 0 and at most 10^9, with at most 6 decimals"),
        Arguments.of("{name: x, kind: pii, pii: {action: mask}}", "policy (x).pii.action must be one of block, record, redact"),
        Arguments.of("{name: x, kind: pii, pii: {action: redact, detectors: [dna]}}", "policy (x).pii.detectors 'dna' is not one of email, phone, card, iban, ssn, ip, credential"),
        Arguments.of(
            "{name: x, kind: pii, pii: {action: redact, custom: [{name: A, pattern: '('}]}}",
            "policy (x).pii.custom[0].pattern is not a valid regular expression: Unclosed group"),
        Arguments.of(
            "{name: x, kind: pii, pii: {action: redact, custom: [{name: A, pattern: a}, {name: A, pattern: b}]}}",
            "policy (x).pii.custom[1].name 'A' is listed twice"),
        Arguments.of(
            "{name: x, kind: pii, pii: {action: redact, custom: [{name: lower, pattern: a}]}}",
            "policy (x).pii.custom[0].name must be 1-32 upper-case letters, digits or '_', starting with a letter (it is the mask: [NAME])"),
        Arguments.of(
            "{name: x, kind: guardrail, guardrail: {actions: {jailbreak: block}}}",
            "policy (x).guardrail.actions 'jailbreak' is not a check; checks are prompt-injection, hidden-unicode, exfil-link, deny-pattern, size"),
        Arguments.of(
            "{name: x, kind: guardrail, guardrail: {maxPromptChars: 0}}", "policy (x).guardrail.maxPromptChars must be between 1 and 16777216"),
        Arguments.of(
            "{name: x, kind: pii, appliesTo: {agents: ['bad name']}, pii: {action: redact}}",
            "policy (x).appliesTo.agents[0] must be 1-64 letters, digits, '.', '_' or '-'"),
        Arguments.of(
            "{name: x, tenantId: ten_1, kind: pii, pii: {action: redact}}",
            "policy (x).tenantId is not a field of an entry: a policy belongs to the tenant it is listed under"),
        Arguments.of(
            "{name: x, version: 3, kind: pii, pii: {action: redact}}",
            "policy (x).version is not a field of an entry: Gatehouse counts a policy's versions"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("rejected")
  void aBadFieldIsRejectedByItsPathWithWhatItMustBe(String yaml, String message) {
    assertThatThrownBy(() -> check(yaml)).isInstanceOf(RegistryException.class).hasMessage(message);
  }

  @Test
  void theVersionGoesUpWithEveryChangeAndOnlyThen() {
    try (TestDatabase db = TestDatabase.create()) {
      PolicyDao dao = db.jdbi().onDemand(PolicyDao.class);
      PolicyDefinition v1 = check("{name: rpm, kind: rate-limit, rateLimit: {requestsPerMinute: 60}}");
      assertThat(dao.insert(v1)).isTrue();
      assertThat(dao.insert(v1)).isFalse();
      assertThat(dao.find("rpm").orElseThrow().version()).isEqualTo(1);
      assertThat(dao.find("rpm").orElseThrow().ref()).isEqualTo("rpm@1");
      assertThat(dao.upsert(v1)).isFalse();
      assertThat(dao.find("rpm").orElseThrow().version()).isEqualTo(1);
      assertThat(dao.upsert(check("{name: rpm, kind: rate-limit, rateLimit: {requestsPerMinute: 30}}"))).isTrue();
      PolicyDefinition v2 = dao.find("rpm").orElseThrow();
      assertThat(v2.version()).isEqualTo(2);
      assertThat(v2.rateLimit().requestsPerMinute()).isEqualTo(30);
      assertThat(dao.delete("rpm")).isEqualTo(1);
      assertThat(dao.find("rpm")).isEmpty();
    }
  }

  static final String FILE =
      """
      policies:
        - name: everyone-pii
          kind: pii
          pii: {action: redact}
      tenants:
        - name: acme
          agents: [{name: bot}]
          policies:
            - name: acme-rpm
              kind: rate-limit
              appliesTo: {agents: [bot], tools: ['crm.*'], models: [gpt]}
              rateLimit: {requestsPerMinute: 100, tokensPerMinute: 50000, per: tenant}
            - name: acme-budget
              kind: budget
              budget: {tokens: 1000000, cost: 25.5, period: day}
            - name: acme-guard
              kind: guardrail
              guardrail: {checks: [prompt-injection, exfil-link], actions: {exfil-link: flag}, denyPatterns: ['(?i)internal only']}
      """;

  @Test
  void policiesApplyExportAndApplyAgainUnchanged() {
    try (TestDatabase db = TestDatabase.create();
        TestDatabase copy = TestDatabase.create()) {
      RegistryApplier.ApplyResult first = RegistryApplier.apply(db.jdbi(), registry(FILE));
      assertThat(first.policies()).isEqualTo(4);
      assertThat(RegistryApplier.apply(db.jdbi(), registry(FILE)).changed()).isZero();

      PolicyDao dao = db.jdbi().onDemand(PolicyDao.class);
      String acme = db.jdbi().onDemand(TenantDao.class).findByName("acme").orElseThrow().id();
      assertThat(dao.find("everyone-pii").orElseThrow().tenantId()).isNull();
      assertThat(dao.find("acme-rpm").orElseThrow().tenantId()).isEqualTo(acme);
      assertThat(dao.governing(acme)).extracting(PolicyDefinition::name)
          .containsExactly("acme-budget", "acme-guard", "acme-rpm", "everyone-pii");
      assertThat(dao.governing("ten_other")).extracting(PolicyDefinition::name).containsExactly("everyone-pii");

      String exported = RegistryExporter.toYaml(RegistryExporter.export(db.jdbi()));
      assertThat(exported).contains("name: acme-rpm").contains("per: tenant").doesNotContain("version").doesNotContain("tenantId");
      RegistryApplier.apply(copy.jdbi(), registry(exported));
      assertThat(RegistryExporter.toYaml(RegistryExporter.export(copy.jdbi()))).isEqualTo(exported);
      assertThat(RegistryApplier.apply(db.jdbi(), registry(exported)).changed()).isZero();
      assertThat(dao.list()).extracting(PolicyDefinition::version).containsOnly(1);

      // A changed entry in the file is a new version; the others keep theirs.
      RegistryApplier.apply(db.jdbi(), registry(FILE.replace("requestsPerMinute: 100", "requestsPerMinute: 50")));
      assertThat(dao.find("acme-rpm").orElseThrow().ref()).isEqualTo("acme-rpm@2");
      assertThat(dao.find("acme-budget").orElseThrow().ref()).isEqualTo("acme-budget@1");
    }
  }

  @Test
  void aPolicyNameIsUniqueAcrossTenantsAndTheGlobalList() {
    assertThatThrownBy(() -> registry(
        """
        policies: [{name: p, kind: pii, pii: {action: record}}]
        tenants:
          - name: a
            policies: [{name: p, kind: pii, pii: {action: redact}}]
        """))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("tenants[0].policies[0]")
        .hasMessageContaining("'p'");
    assertThat(registry("tenants: [{name: a, policies: []}]").allPolicies()).isEqualTo(List.of());
  }
}
