package dev.gatehouse.frontend.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official MCP conformance suite's active server scenarios against Gatehouse's {@code /mcp}
 * with the conformance fixture ({@link ConformanceUpstream}) registered behind it as a global MCP
 * server (streamable-http, no tool prefix, execution {@code auto} with the tools that talk back to
 * the client forced direct), so the suite sees the fixture's own names through the gateway, and
 * its tool scenarios go through both the durable and the direct path:
 *
 * <pre>conformance CLI → BearerProxy (adds agent-a's key) → Gatehouse /mcp → ConformanceUpstream</pre>
 *
 * <p>The proxy forwards the client's Host when it is not the proxy's own address, so in {@code
 * dns-rebinding-protection} the gateway itself sees {@code Host: evil.example.com} and must refuse
 * it (it does: 403 forbidden_host); the suite's "valid" request (Host = the proxy's own
 * 127.0.0.1:port) reaches the gateway with the gateway's own authority and Origin
 * http://127.0.0.1:proxyport, which it accepts.
 *
 * <p>Each scenario runs on its own with a time limit, so a gateway that never answers costs
 * {@link #PER_SCENARIO} rather than the client's 60 s per request; a scenario that hits the limit
 * counts as failing.
 */
class McpConformanceThroughGatewayTest {

  /** The active server scenarios of @modelcontextprotocol/conformance 0.1.16 (pending ones excluded). */
  static final List<String> ACTIVE = List.of(
      "server-initialize", "logging-set-level", "ping", "completion-complete", "tools-list",
      "tools-call-simple-text", "tools-call-image", "tools-call-audio", "tools-call-embedded-resource",
      "tools-call-mixed-content", "tools-call-with-logging", "tools-call-error",
      "tools-call-with-progress", "tools-call-sampling", "tools-call-elicitation",
      "elicitation-sep1034-defaults", "server-sse-multiple-streams", "elicitation-sep1330-enums",
      "resources-list", "resources-read-text", "resources-read-binary", "resources-templates-read",
      "resources-subscribe", "resources-unsubscribe", "prompts-list", "prompts-get-simple",
      "prompts-get-with-args", "prompts-get-embedded-resource", "prompts-get-with-image",
      "dns-rebinding-protection");

  /** The suite's pending scenarios: not part of the goal, not run here. */
  static final List<String> PENDING = List.of("json-schema-2020-12", "server-sse-polling");

  private static final Duration PER_SCENARIO = Duration.ofSeconds(20);

  /**
   * The upstream's tools that ask the client something (sampling, elicitation) or log to it while
   * they run must run on the direct path: a durable call runs on a worker, which has no line back
   * to the agent (docs/mcp.md). The others run as the registry's default says (auto: durable,
   * since they carry no readOnlyHint), so the suite's tool scenarios cover both paths.
   */
  static final Map<String, String> DIRECT_TOOLS =
      Map.of(
          "test_sampling", McpServerDefinition.DIRECT,
          "test_elicitation", McpServerDefinition.DIRECT,
          "test_elicitation_sep1034_defaults", McpServerDefinition.DIRECT,
          "test_elicitation_sep1330_enums", McpServerDefinition.DIRECT,
          "test_tool_with_logging", McpServerDefinition.DIRECT);

  @Test
  void activeServerScenariosThroughTheGateway(@TempDir Path out) throws Exception {
    Map<String, String> failing = new TreeMap<>();
    Set<String> passing = new TreeSet<>();
    StringBuilder details = new StringBuilder();
    try (ConformanceUpstream upstream = ConformanceUpstream.start()) {
      TestGatehouse g =
          TestGatehouse.start(
              c -> c.getMcp().setHealthInterval(io.dropwizard.util.Duration.milliseconds(500)));
      try {
      McpServerDefinition base = McpWire.streamableHttp("conformance", upstream.url(), "");
      McpWire.register(
          g,
          new McpServerDefinition(
              base.name(), null, base.transport(), base.url(), null, null, null, null, null, null,
              null, null, null, "", McpServerDefinition.AUTO, DIRECT_TOOLS));
      McpWire.awaitTools(
          g, TestGatehouse.KEY_A, Duration.ofSeconds(30),
          "test_simple_text", "test_sampling", "test_elicitation");

      NodeTools.Result list = NodeTools.run(List.of("conformance", "list", "--server"), Map.of(), Duration.ofSeconds(60));
      for (String s : ACTIVE) {
        assertTrue(list.output().contains("- " + s + " "), "the suite no longer lists " + s + ":\n" + list.output());
      }

      try (BearerProxy proxy = BearerProxy.start(g.api(), TestGatehouse.KEY_A)) {
        for (String scenario : ACTIVE) {
          Path dir = out.resolve(scenario);
          ConformanceSuite.Report report =
              ConformanceSuite.runServer(proxy.url() + "/mcp", dir, PER_SCENARIO, "--scenario", scenario);
          ConformanceSuite.Scenario result = report.scenarios().get(scenario);
          if (report.process().timedOut()) {
            failing.put(scenario, "no result within " + PER_SCENARIO);
          } else if (result == null) {
            failing.put(scenario, "no checks.json:\n" + report.process().output());
          } else if (!result.passed()) {
            failing.put(scenario, report.describeFailures());
          } else {
            passing.add(scenario);
          }
        }
      }
      } finally {
        g.close();
      }
    }
    failing.forEach((s, why) -> details.append(s).append(": ").append(why).append('\n'));
    assertTrue(failing.isEmpty(), "failing through the gateway:\n" + details + "passing: " + passing);
    assertEquals(ACTIVE.size(), passing.size(), "passing: " + passing);
  }
}
