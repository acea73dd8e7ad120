package dev.gatehouse.policies.approvals;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.policies.approvals.ApprovalPolicy.McpHints;
import dev.gatehouse.registry.agents.ApprovalRules;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApprovalPolicyTest {
  private static final McpHints NO_HINTS = new McpHints(null, null);

  @Test
  void aToolRegisteredWithApprovalRequiredAlwaysWaits() {
    assertThat(ApprovalPolicy.requires(ApprovalRules.NONE, "billing.refund", true, null)).isTrue();
    assertThat(ApprovalPolicy.requires(null, "billing.refund", true, null)).isTrue();
    assertThat(ApprovalPolicy.requires(ApprovalRules.NONE, "billing.refund", false, null)).isFalse();
  }

  @Test
  void theAgentsPatternsSelectMoreTools() {
    ApprovalRules rules = new ApprovalRules(List.of("github.*", "ops.restart"), false);
    assertThat(ApprovalPolicy.requires(rules, "github.issues.create", false, null)).isTrue();
    assertThat(ApprovalPolicy.requires(rules, "ops.restart", false, NO_HINTS)).isTrue();
    assertThat(ApprovalPolicy.requires(rules, "ops.status", false, null)).isFalse();
  }

  @Test
  void destructiveMeansEveryMcpToolItsServerDoesNotDeclareHarmlessWithMcpsDefaults() {
    ApprovalRules destructive = new ApprovalRules(List.of(), true);
    assertThat(ApprovalPolicy.requires(destructive, "fs.write", false, NO_HINTS)).as("no hints: destructive by default").isTrue();
    assertThat(ApprovalPolicy.requires(destructive, "fs.delete", false, new McpHints(false, true))).isTrue();
    assertThat(ApprovalPolicy.requires(destructive, "fs.read", false, new McpHints(true, null))).isFalse();
    assertThat(ApprovalPolicy.requires(destructive, "fs.append", false, new McpHints(false, false))).isFalse();
    // An HTTP tool has no MCP hints: the destructive rule does not reach it.
    assertThat(ApprovalPolicy.requires(destructive, "weather.lookup", false, null)).isFalse();
    // Without the rule, an MCP tool's hints alone make nothing wait.
    assertThat(ApprovalPolicy.requires(ApprovalRules.NONE, "fs.delete", false, new McpHints(false, true))).isFalse();
  }

  @Test
  void theVersionOfThePolicyThatHoldsACallNamesWhatItWasMadeOf() {
    ApprovalRules rules = new ApprovalRules(List.of("ops.*", "github.*"), false);
    String version = ApprovalPolicy.hold(rules, "ops.restart", false, null);
    assertThat(version).matches("ap1-[0-9a-f]{16}");
    // The same policy, its patterns in another order, is the same version.
    assertThat(ApprovalPolicy.hold(new ApprovalRules(List.of("github.*", "ops.*"), false), "ops.restart", false, null)).isEqualTo(version);
    // A changed rule, another tool, or the registry's own flag is another version.
    assertThat(ApprovalPolicy.hold(new ApprovalRules(List.of("ops.*"), false), "ops.restart", false, null)).isNotEqualTo(version);
    assertThat(ApprovalPolicy.hold(rules, "ops.stop", false, null)).isNotEqualTo(version);
    assertThat(ApprovalPolicy.hold(rules, "ops.restart", true, null)).isNotEqualTo(version);
    // A call no rule holds has no version.
    assertThat(ApprovalPolicy.hold(rules, "weather.lookup", false, null)).isNull();
  }
}
