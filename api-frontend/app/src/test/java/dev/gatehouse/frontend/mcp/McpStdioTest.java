package dev.gatehouse.frontend.mcp;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.gatehouse.frontend.testing.CapturedLogs;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.secrets.Secrets;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A stdio upstream is a child process Gatehouse supervises: it gets only the environment its
 * registry entry declares (secrets filled in) plus the MCP clients' safe set, a secret it echoes
 * is redacted from its answers, a line it writes to stdout that is not a message is skipped (and
 * not logged), and when it dies it is restarted (with backoff) and calls work again.
 */
class McpStdioTest {
  private static final Set<String> SAFE = Set.of("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER");

  private static String text(McpSchema.CallToolResult r) {
    return ((McpSchema.TextContent) r.content().get(0)).text();
  }

  @Test
  void aStdioServerGetsOnlyItsDeclaredEnvironmentAndIsRestartedWhenItDies() throws Exception {
    try (TestGatehouse g = TestGatehouse.start(c -> c.getMcp().setHealthInterval(io.dropwizard.util.Duration.milliseconds(300)))) {
      new Secrets(g.db.jdbi(), g.config.getSecrets().box().orElseThrow()).put(null, "STDIO_TOKEN", "s3cret-value");
      String java = ProcessHandle.current().info().command().orElse("java");
      McpServerDefinition stdio =
          new McpServerDefinition(
              "local", null, McpServerDefinition.STDIO, null, java,
              List.of("-cp", System.getProperty("java.class.path"), StdioNotesServer.class.getName()),
              Map.of("DECLARED", "yes", "TOKEN", "{{secret:STDIO_TOKEN}}"), null, null, null,
              Duration.ofSeconds(20), Duration.ofSeconds(30), null, null, null, null);
      g.db.jdbi().onDemand(McpServerDao.class).insert(stdio);

      try (McpSyncClient client = McpGatewayTest.client(g, KEY_A, "/mcp")) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (client.listTools().tools().stream().noneMatch(t -> t.name().equals("local.whoami"))) {
          assertThat(System.nanoTime()).as("stdio server discovered").isLessThan(deadline);
          Thread.sleep(200);
        }
        String[] who = text(client.callTool(new McpSchema.CallToolRequest("local.whoami", Map.of()))).split(" ", 2);
        long pid = Long.parseLong(who[0]);
        Set<String> names = Arrays.stream(who[1].split(",")).collect(Collectors.toSet());
        assertThat(names).contains("DECLARED", "TOKEN");
        assertThat(names).as("nothing of the gateway's own environment beyond the safe set")
            .allMatch(n -> n.equals("DECLARED") || n.equals("TOKEN") || SAFE.contains(n));
        assertThat(text(client.callTool(new McpSchema.CallToolRequest("local.env_length", Map.of("name", "TOKEN")))))
            .as("the child got the secret")
            .isEqualTo(String.valueOf("s3cret-value".length()));
        assertThat(text(client.callTool(new McpSchema.CallToolRequest("local.env", Map.of("name", "TOKEN")))))
            .as("an upstream that echoes its credentials does not hand them to the agent")
            .isEqualTo("[redacted]");
        assertThat(text(client.callTool(new McpSchema.CallToolRequest("local.env", Map.of("name", "DECLARED"))))).isEqualTo("yes");

        // A stray line on stdout is skipped: before, the SDK's transport stopped reading at it, and
        // this call and every later one waited out the server's timeout; and it logged the line whole.
        try (CapturedLogs logged = CapturedLogs.of(org.slf4j.Logger.ROOT_LOGGER_NAME, Level.WARN)) {
          assertThat(text(client.callTool(new McpSchema.CallToolRequest("local.noisy", Map.of())))).isEqualTo("after the noise");
          assertThat(text(client.callTool(new McpSchema.CallToolRequest("local.env", Map.of("name", "DECLARED"))))).isEqualTo("yes");
          assertThat(logged.messages()).anyMatch(m -> m.contains("MCP server local wrote a line of"));
          assertThat(logged.messages()).noneMatch(m -> m.contains("s3cret-value") || m.contains("connecting with token"));
        }

        ProcessHandle child = ProcessHandle.of(pid).orElseThrow();
        assertThat(child.parent().map(ProcessHandle::pid)).contains(ProcessHandle.current().pid());
        child.destroyForcibly();
        child.onExit().get();

        McpCatalogDao catalog = g.db.jdbi().onDemand(McpCatalogDao.class);
        long newPid = -1;
        deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        boolean sawDown = false;
        while (System.nanoTime() < deadline) {
          sawDown |= catalog.status("local").map(s -> s.state().equals("down")).orElse(false);
          try {
            newPid = Long.parseLong(text(client.callTool(new McpSchema.CallToolRequest("local.whoami", Map.of()))).split(" ", 2)[0]);
            if (newPid != pid) {
              break;
            }
          } catch (RuntimeException e) {
            // down until the supervisor has restarted it
          }
          Thread.sleep(200);
        }
        assertThat(newPid).as("a new child answers").isPositive().isNotEqualTo(pid);
        assertThat(catalog.status("local").orElseThrow().state()).isEqualTo("up");
      }
    }
  }
}
