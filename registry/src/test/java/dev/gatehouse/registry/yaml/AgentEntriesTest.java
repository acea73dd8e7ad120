package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Permissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One agent entry of a tenant, checked on its own. */
class AgentEntriesTest {

  static Registry.AgentSpec check(String yaml) {
    return AgentEntries.check("agent", entry(RegistryFile.Agent.class, yaml));
  }

  @Test
  void aListLeftOutAllowsNothing() {
    assertThat(check("{name: planner, subject: svc-planner, tools: {allow: ['weather.*'], deny: [weather.admin]}}"))
        .isEqualTo(new Registry.AgentSpec("planner", "svc-planner",
            new Permissions(new AccessList(List.of("weather.*"), List.of("weather.admin")), AccessList.NONE, AccessList.NONE)));
    assertThat(check("{name: idle}").permissions()).isEqualTo(new Permissions(AccessList.NONE, AccessList.NONE, AccessList.NONE));
  }

  static Stream<Arguments> rejected() {
    String badName = "agent.name must be 1-64 letters, digits, '.', '_' or '-'";
    String badPattern = "' holds a pattern that is not 1-128 letters, digits or . _ * : / -";
    return Stream.of(
        Arguments.of("{subject: s}", badName),
        Arguments.of("{name: '.hidden'}", badName),
        Arguments.of("{name: " + "a".repeat(65) + "}", badName),
        Arguments.of("{name: x, tools: {allow: ['no spaces']}}", "agent (x) 'tools.allow" + badPattern),
        Arguments.of("{name: x, models: {deny: ['']}}", "agent (x) 'models.deny" + badPattern),
        Arguments.of("{name: x, workflows: {allow: ['" + "w".repeat(129) + "']}}", "agent (x) 'workflows.allow" + badPattern),
        // Every call is checked against the lists: they are bounded.
        Arguments.of("{name: x, tools: {allow: [" + "t,".repeat(1_000) + "t]}}", "agent (x) 'tools.allow' holds more than 1000 patterns"),
        Arguments.of("{name: x, models: {deny: [" + "m,".repeat(1_000) + "m]}}", "agent (x) 'models.deny' holds more than 1000 patterns"));
  }

  @Test
  void anEmptyEntryIsRejectedForItsName() {
    assertThatThrownBy(() -> AgentEntries.check("agent", null))
        .hasMessage("agent.name must be 1-64 letters, digits, '.', '_' or '-'");
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("rejected")
  void aBadFieldIsRejectedWithWhatItMustBe(String yaml, String message) {
    assertThatThrownBy(() -> check(yaml))
        .isInstanceOf(RegistryException.class)
        .hasMessage(message)
        .extracting(e -> ((RegistryException) e).code())
        .isEqualTo("invalid_registry");
  }
}
