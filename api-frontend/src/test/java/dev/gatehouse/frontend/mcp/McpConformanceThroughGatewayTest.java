package dev.gatehouse.frontend.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.frontend.testing.TestGatehouse;
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
 * server (streamable-http, no tool prefix, default execution {@code auto}), so the suite sees the
 * fixture's own names through the gateway:
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

  /** The suite's pending scenarios, not part of the goal (json-schema-2020-12 also fails on tools/list, as tools-list). */
  static final List<String> PENDING = List.of("json-schema-2020-12", "server-sse-polling");

  private static final Duration PER_SCENARIO = Duration.ofSeconds(20);

  /**
   * Scenarios that fail through the gateway today, with the gateway gap that fails each. Shrink
   * this as the gateway gets fixed; the test fails when the failing set differs either way.
   *
   * <p>DURABLE: the fixture's tools carry no readOnlyHint, so with execution {@code auto} every
   * call becomes a durable "tool-call" workflow, and the worker only registers the "pipeline"
   * workflow type (GatehouseWorker: {@code registerWorkflowImplementationTypes(PipelineWorkflowImpl.class)}
   * only). Temporal logs {@code Unknown workflow type "tool-call". Known types are [pipeline]}
   * and retries the workflow task forever; the tools/call POST never answers. With the server
   * registered as {@code execution: direct} all of these pass (checked by hand).
   */
  static final Map<String, String> KNOWN_FAILING = Map.ofEntries(
      // tools/list answers the registry's HTTP tools that have no inputSchema (t.add, t.big, t.echo,
      // t.flaky, t.hold, t.hold-short, t.status) with "inputSchema": null; MCP requires an object
      // and the TypeScript SDK's ListToolsResult schema rejects the whole answer
      // ("tools.0.inputSchema: expected object, received null"). Should default to {"type":"object"}.
      Map.entry("tools-list", "HTTP tools listed with inputSchema null"),
      Map.entry("tools-call-simple-text", "DURABLE: tools/call never answers"),
      Map.entry("tools-call-image", "DURABLE: tools/call never answers"),
      Map.entry("tools-call-audio", "DURABLE: tools/call never answers"),
      Map.entry("tools-call-embedded-resource", "DURABLE: tools/call never answers"),
      Map.entry("tools-call-mixed-content", "DURABLE: tools/call never answers"),
      Map.entry("tools-call-with-logging", "DURABLE: tools/call never answers"),
      Map.entry("tools-call-error", "DURABLE: tools/call never answers"),
      Map.entry("tools-call-with-progress", "DURABLE: tools/call never answers"),
      Map.entry("tools-call-sampling", "DURABLE: tools/call never answers (and sampling could not reach the client from a workflow)"),
      Map.entry("tools-call-elicitation", "DURABLE: tools/call never answers (and elicitation could not reach the client from a workflow)"),
      Map.entry("elicitation-sep1034-defaults", "DURABLE: tools/call never answers"),
      Map.entry("elicitation-sep1330-enums", "DURABLE: tools/call never answers"));

  @Test
  void activeServerScenariosThroughTheGateway(@TempDir Path out) throws Exception {
    Map<String, String> failing = new TreeMap<>();
    Set<String> passing = new TreeSet<>();
    StringBuilder details = new StringBuilder();
    String shutdown = "clean";
    try (ConformanceUpstream upstream = ConformanceUpstream.start()) {
      TestGatehouse g =
          TestGatehouse.start(
              c -> c.getMcp().setHealthInterval(io.dropwizard.util.Duration.milliseconds(500)));
      try {
      GatewayMcp.register(g, GatewayMcp.streamableHttp("conformance", upstream.url(), ""));
      GatewayMcp.awaitTools(
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
        // Known gap: with durable tools/call requests still hanging (see KNOWN_FAILING), Jetty's
        // graceful stop times out (TimeoutException in Server.doStop). Recorded, not asserted.
        try {
          g.close();
        } catch (RuntimeException e) {
          shutdown = "gateway did not stop cleanly: " + e;
        }
      }
    }
    System.out.println("gateway shutdown: " + shutdown);
    failing.forEach((s, why) -> details.append(s).append(": ").append(why).append('\n'));
    System.out.println("passing through the gateway: " + passing + "\nfailing:\n" + details);

    assertEquals(new TreeSet<>(KNOWN_FAILING.keySet()), failing.keySet(),
        "the failing scenarios changed (update KNOWN_FAILING); passing " + passing + "\nfailing:\n" + details);
    assertEquals(ACTIVE.size() - KNOWN_FAILING.size(), passing.size(), "passing: " + passing);
  }
}
