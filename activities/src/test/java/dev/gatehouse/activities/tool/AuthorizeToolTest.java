package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.activities.chain.ResolveAgent;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.workflows.tool.Caller;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Whether the agent may use the tool at the time of the call: its access lists, narrowed by scopes. */
class AuthorizeToolTest {
  // The agents come as authenticated, so resolving them reads nothing.
  private final ResolveAgent resolveAgent = new ResolveAgent(null, "tool_not_allowed");
  private final AuthorizeTool step = new AuthorizeTool();

  private Decision authorize(String tool, List<String> allow, List<String> deny, List<String> scopes) {
    Agent agent = new Agent("agt_a", "ten_a", "a", null, new Permissions(new AccessList(allow, deny), null, null), null, null);
    ToolExchange x =
        new ToolExchange(
            ToolCall.of(tool, null, new Caller("ten_a", "agt_a", scopes), new CallContext(null, null, 1)).authenticatedAs(agent));
    assertThat(resolveAgent.before(x).allowed()).isTrue();
    return step.before(x);
  }

  @Test
  void aToolTheAllowListCoversIsAllowed() {
    assertThat(authorize("github.issues", List.of("github.*"), List.of(), List.of()).allowed()).isTrue();
  }

  @Test
  void aToolOutsideTheAllowListIsDenied() {
    Decision d = authorize("slack.post", List.of("github.*"), List.of(), List.of());
    assertThat(d.allowed()).isFalse();
    assertThat(d.policy()).isEqualTo("access");
    assertThat(d.code()).isEqualTo("tool_not_allowed");
    assertThat(d.reason()).isEqualTo("this agent may not use tool 'slack.post'");
  }

  @Test
  void theDenyListWinsOverTheAllowList() {
    Decision d = authorize("github.delete_repo", List.of("*"), List.of("github.delete_*"), List.of());
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).isEqualTo("this agent may not use tool 'github.delete_repo' (denied)");
  }

  @Test
  void aTokensScopesNarrowWhatTheAgentMayUse() {
    assertThat(authorize("github.issues", List.of("*"), List.of(), List.of("tools:github.*")).allowed()).isTrue();
    Decision d = authorize("slack.post", List.of("*"), List.of(), List.of("tools:github.*"));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).isEqualTo("the token's scopes do not cover tool 'slack.post'");
  }
}
