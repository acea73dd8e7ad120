package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import net.sourceforge.argparse4j.inf.Namespace;
import org.junit.jupiter.api.Test;

/** {@code gatehouse mcp-probe}'s command line. */
class McpProbeCommandTest {
  @Test
  void aHeaderWithoutItsColonIsRefusedWithoutQuotingTheCredentialItHolds() {
    Namespace ns = new Namespace(Map.of("url", "http://127.0.0.1:1/mcp", "header", List.of("Authorization Bearer sk-probe-0123456789")));
    assertThatThrownBy(() -> McpProbeCommand.definition(ns))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--header wants NAME:VALUE")
        .hasMessageNotContaining("sk-probe")
        .hasMessageNotContaining("Bearer");
    Namespace multiLine = new Namespace(Map.of("url", "http://127.0.0.1:1/mcp", "header", List.of("Authorization: Bearer sk-probe-01\r\nX-Evil: 1")));
    assertThatThrownBy(() -> McpProbeCommand.definition(multiLine))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--header Authorization holds a line break or another control character; a header is one line");
  }
}
