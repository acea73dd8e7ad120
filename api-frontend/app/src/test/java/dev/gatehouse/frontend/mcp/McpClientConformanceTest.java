package dev.gatehouse.frontend.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official conformance suite's client scenarios against Gatehouse's upstream MCP client: the
 * suite runs {@code gatehouse mcp-probe} (through {@code src/test/mcp-interop/gatehouse-probe.mjs},
 * with this JVM and the test class path), which connects with {@code McpConnector}, lists what
 * the server offers and calls its tools.
 */
class McpClientConformanceTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path out;

  private ConformanceSuite.Scenario probe(String scenario, String probeOptions) {
    Map<String, String> env =
        Map.of(
            "GATEHOUSE_PROBE_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "GATEHOUSE_PROBE_CP", System.getProperty("java.class.path"));
    return ConformanceSuite.runClient(
        scenario, "node gatehouse-probe.mjs " + probeOptions, env, out, CLIENT_TIMEOUT);
  }

  @Test
  void initialize() {
    ConformanceSuite.Scenario s = probe("initialize", "--call-tools");
    assertTrue(s.passed(), s::describe);
    assertEquals("SUCCESS", s.check("mcp-client-initialization").orElseThrow().status());
  }

  @Test
  void toolsCall() {
    ConformanceSuite.Scenario s = probe("tools_call", "--call-tools");
    assertTrue(s.passed(), s::describe);
    assertEquals("SUCCESS", s.check("tool-add-numbers").orElseThrow().status());
  }

  /**
   * Client credentials with client_secret_basic. The scenario gives only the client id and secret:
   * the wrapper finds the token endpoint in the server's metadata (Gatehouse takes a configured
   * tokenUrl and does not discover it), so the scenario's two metadata checks are the wrapper's;
   * the token request, the Basic authentication and the bearer token on every MCP request are
   * Gatehouse's own ({@code UpstreamCredentials} through {@code McpConnector}).
   */
  @Test
  void clientCredentialsBasic() {
    ConformanceSuite.Scenario s = probe("auth/client-credentials-basic", "--call-tools");
    assertTrue(s.passed(), s::describe);
    assertEquals("SUCCESS", s.check("client-credentials-basic-auth").orElseThrow().status());
    assertEquals("SUCCESS", s.check("valid-bearer-token").orElseThrow().status());
  }

  /**
   * SEP-1699 resumption: the server answers tools/call with an SSE stream that carries only a
   * priming event ({@code id}, {@code retry: 500}, empty data) and closes it; the client must
   * reconnect with GET and {@code Last-Event-ID} after 500 ms and get the result there. The Java
   * SDK's client transport (mcp-core 2.1.0, HttpClientStreamableHttpTransport) does not; Gatehouse's
   * own {@code StreamableHttpClientTransport}, which {@code McpConnector} uses, does.
   */
  @Test
  void sseRetry() {
    ConformanceSuite.Scenario s = probe("sse-retry", "--call-tools --timeout 5");
    assertTrue(s.passed(), s::describe);
    assertEquals("SUCCESS", s.check("client-sse-last-event-id").orElseThrow().status(), s::describe);
  }
}
