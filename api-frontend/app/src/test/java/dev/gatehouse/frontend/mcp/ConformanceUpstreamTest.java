package dev.gatehouse.frontend.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance fixture itself must pass every active server scenario of the official MCP
 * conformance suite when the suite talks to it directly; later the same harness is pointed at
 * Gatehouse with this fixture behind it.
 */
class ConformanceUpstreamTest {

  /** The active server scenarios of @modelcontextprotocol/conformance 0.1.16. */
  private static final int ACTIVE_SERVER_SCENARIOS = 30;

  @Test
  void fixturePassesEveryActiveServerScenario(@TempDir Path out) {
    ConformanceSuite.Report report;
    try (ConformanceUpstream upstream = ConformanceUpstream.start()) {
      report = ConformanceSuite.runServer(upstream.url(), out, Duration.ofMinutes(3));
    }

    String output = report.process().output();
    assertEquals(ACTIVE_SERVER_SCENARIOS, report.announced(), "scenarios the suite announced:\n" + output);
    assertEquals(report.announced(), report.scenarios().size(),
        "every announced scenario wrote checks.json; got " + report.scenarios().keySet() + "\n" + output);
    assertTrue(report.failed().isEmpty(), "failing scenarios:\n" + report.describeFailures());
    assertTrue(report.process().ok(), "the suite exited " + report.process().exitCode() + ":\n" + output);

    // A check that merely tolerates a missing tool or resource would not prove the fixture.
    List<String> notImplemented = report.scenarios().values().stream()
        .flatMap(s -> s.checks().stream().map(c -> s.name() + "/" + c.id() + ": " + c.json()))
        .filter(line -> line.contains("Unknown tool") || line.contains("not found") || line.contains("-32601"))
        .toList();
    assertTrue(notImplemented.isEmpty(), "checks that saw a missing implementation:\n" + String.join("\n", notImplemented));
  }
}
