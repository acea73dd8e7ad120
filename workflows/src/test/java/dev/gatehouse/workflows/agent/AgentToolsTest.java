package dev.gatehouse.workflows.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The function names the model calls the agent's tools by. */
class AgentToolsTest {

  @Test
  void registryNamesBecomeFunctionNames() {
    assertThat(AgentTools.functionNames(List.of("github.issues.create", "kb-lookup", "ops/slow")))
        .containsExactly("github_issues_create", "kb-lookup", "ops_slow");
    assertThat(AgentTools.functionNames(List.of("x".repeat(70)))).containsExactly("x".repeat(AgentTools.MAX_FUNCTION_NAME));
  }

  /**
   * A probe offered p.appr (which needs approval), p_appr and p_appr_2: the model was told p_appr
   * for p.appr, p_appr_2 for p_appr and p_appr_2_2 for p_appr_2, so calling a tool by its own name
   * ran another one. A name that needs no change is its tool's.
   */
  @Test
  void aToolWhoseNameNeedsNoChangeKeepsItAndTheChangedNamesGiveWay() {
    assertThat(AgentTools.functionNames(List.of("p.appr", "p_appr", "p_appr_2")))
        .containsExactly("p_appr_3", "p_appr", "p_appr_2");
    assertThat(AgentTools.functionNames(List.of("a.b", "a/b", "A_B")))
        .as("compared without case; changed names in order")
        .containsExactly("a_b_2", "a_b_3", "A_B");
  }
}
