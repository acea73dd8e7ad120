package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.mcp.VirtualServer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One virtual server entry, checked on its own as the admin API does ("virtualServer" is where it puts it). */
class VirtualServerEntriesTest {

  static VirtualServer check(String yaml) {
    return VirtualServerEntries.check("virtualServer", entry(RegistryFile.VirtualServer.class, yaml));
  }

  @Test
  void namesAndPatternsAreKeptAsWritten() {
    assertThat(check("{name: readers, description: Read-only, tools: [everything.echo, 'weather.*']}"))
        .isEqualTo(new VirtualServer("readers", null, "Read-only", List.of("everything.echo", "weather.*")));
  }

  @Test
  void anEmptyEntryIsRejected() {
    assertThatThrownBy(() -> VirtualServerEntries.check("virtualServers[0]", null)).hasMessage("virtualServers[0] is empty");
  }

  static Stream<Arguments> rejected() {
    String badName = "virtualServer.name must be 1-128 letters, digits, '_' or '-' (no '.')";
    return Stream.of(
        Arguments.of("{tools: [a]}", badName),
        Arguments.of("{name: 'a.b', tools: [a]}", badName),
        Arguments.of("{name: v}", "virtualServer (v).tools is required: a list of tool names or patterns"),
        Arguments.of("{name: v, tools: []}", "virtualServer (v).tools is required: a list of tool names or patterns"),
        Arguments.of("{name: v, tools: [a, '']}", "virtualServer (v).tools[1] must be a tool name or pattern, not empty"),
        Arguments.of("{name: v, description: " + "d".repeat(8193) + ", tools: [a]}", "virtualServer (v).description must be at most 8192 characters"),
        Arguments.of("{name: v, tools: [a, b, ' ']}", "virtualServer (v).tools[2] must be a tool name or pattern, not empty"),
        Arguments.of("{name: v, tools: [~]}", "virtualServer (v).tools[0] must be a tool name or pattern, not empty"),
        // bounded as an agent's allow list is (a probe wrote 50,000 patterns, and one of 400,000 characters)
        Arguments.of("{name: v, tools: ['bad pat!']}", "virtualServer (v).tools holds a pattern that is not 1-128 letters, digits or . _ * : / -"),
        Arguments.of("{name: v, tools: [" + "x".repeat(129) + "]}", "virtualServer (v).tools holds a pattern that is not 1-128 letters, digits or . _ * : / -"),
        Arguments.of("{name: v, tools: [" + "t,".repeat(1_000) + "t]}", "virtualServer (v).tools holds more than 1000 patterns"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("rejected")
  void aBadFieldIsRejectedByItsPathWithWhatItMustBe(String yaml, String message) {
    assertThatThrownBy(() -> check(yaml))
        .isInstanceOf(RegistryException.class)
        .hasMessage(message)
        .extracting(e -> ((RegistryException) e).code())
        .isEqualTo("invalid_registry");
  }
}
