package dev.gatehouse.policies.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Permissions;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {
  private final Permissions agent =
      new Permissions(
          new AccessList(List.of("weather.*", "github.read*", "notes.save"), List.of("weather.admin*")),
          new AccessList(List.of("gpt-4o*"), List.of()),
          new AccessList(List.of("pipeline"), List.of()));

  @Test
  void allowsWhatTheAllowListMatches() {
    assertThat(AccessPolicy.tool(agent, List.of(), "weather.lookup").allowed()).isTrue();
    assertThat(AccessPolicy.tool(agent, List.of(), "github.read_issue").allowed()).isTrue();
    assertThat(AccessPolicy.tool(agent, List.of(), "notes.save").allowed()).isTrue();
    assertThat(AccessPolicy.workflow(agent, null, "pipeline").allowed()).isTrue();
    assertThat(AccessPolicy.model(agent, null, "gpt-4o-mini").allowed()).isTrue();
  }

  @Test
  void deniesWhatItDoesNotMatchAndDenyWins() {
    Decision d = AccessPolicy.tool(agent, List.of(), "github.write");
    assertThat(d.allowed()).isFalse();
    assertThat(d.code()).isEqualTo("tool_not_allowed");
    assertThat(d.policy()).isEqualTo(AccessPolicy.NAME);
    assertThat(AccessPolicy.tool(agent, List.of(), "weather.admin.reset").allowed()).isFalse();
    assertThat(AccessPolicy.tool(agent, List.of(), "notes.save2").allowed()).isFalse();
    assertThat(AccessPolicy.tool(agent, List.of(), "xweather.lookup").allowed()).isFalse();
    assertThat(AccessPolicy.workflow(agent, null, "saga").code()).isEqualTo("workflow_not_allowed");
    assertThat(AccessPolicy.model(agent, null, "claude").code()).isEqualTo("model_not_allowed");
  }

  @Test
  void emptyPermissionsAllowNothing() {
    Permissions none = new Permissions(null, null, null);
    assertThat(AccessPolicy.tool(none, null, "anything").allowed()).isFalse();
    assertThat(AccessPolicy.tool(Permissions.ALL, null, "anything").allowed()).isTrue();
  }

  @Test
  void scopesOnlyNarrow() {
    assertThat(AccessPolicy.tool(agent, List.of("tools:weather.*"), "weather.lookup").allowed()).isTrue();
    assertThat(AccessPolicy.tool(agent, List.of("tools:weather.*"), "notes.save").allowed()).isFalse();
    // A scope cannot grant what the agent lacks.
    assertThat(AccessPolicy.tool(agent, List.of("tools:*"), "github.write").allowed()).isFalse();
    // Scopes of other kinds, or plain OIDC scopes, do not narrow tools.
    assertThat(AccessPolicy.tool(agent, List.of("openid", "models:gpt-4o"), "notes.save").allowed()).isTrue();
    // "tools:" with no pattern is a tools scope that covers no tool: it narrows to nothing, it does not widen.
    assertThat(AccessPolicy.tool(agent, List.of("tools:"), "notes.save").allowed()).isFalse();
  }

  @Test
  void patternsMatchLikeGlobs() {
    assertThat(Patterns.matches("*", "")).isTrue();
    assertThat(Patterns.matches("a*b*c", "axxbyyc")).isTrue();
    assertThat(Patterns.matches("a*b*c", "axxbyy")).isFalse();
    assertThat(Patterns.matches("a.b", "aXb")).isFalse();
    assertThat(Patterns.matches("*.*", "x.y")).isTrue();
    assertThat(Patterns.matches("*a*a*a*a*a*b", "a".repeat(200))).isFalse();
  }
}
