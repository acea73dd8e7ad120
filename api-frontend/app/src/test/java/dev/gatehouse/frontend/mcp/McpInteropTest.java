package dev.gatehouse.frontend.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real MCP clients (the TypeScript SDK's {@code Client} and the Inspector CLI) through Gatehouse's
 * {@code /mcp} with agent-a's bearer key, to real reference servers: server-everything over
 * Streamable HTTP and over stdio, server-filesystem over stdio. Tools carry the server name as
 * prefix.
 */
class McpInteropTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = TestGatehouse.KEY_A;

  @TempDir static Path files;
  private static Process everythingHttp;
  private static TestGatehouse g;

  @BeforeAll
  static void start() throws Exception {
    NodeTools.ensureInstalled();
    Path dir = NodeTools.dir();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    everythingHttp =
        NodeTools.start(List.of("mcp-server-everything", "streamableHttp"), Map.of("PORT", String.valueOf(port)));
    // Drain its output so it never blocks on a full pipe.
    Thread drain = new Thread(() -> { try { everythingHttp.getInputStream().transferTo(java.io.OutputStream.nullOutputStream()); } catch (IOException ignored) { } });
    drain.setDaemon(true);
    drain.start();
    Files.writeString(files.resolve("hello.txt"), "hello from gatehouse interop\n");

    g = TestGatehouse.start(c -> c.getMcp().setHealthInterval(io.dropwizard.util.Duration.milliseconds(500)));
    String node = NodeTools.node().toString();
    String everything = dir.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js").toString();
    String filesystem = dir.resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js").toString();
    McpWire.register(g, McpWire.streamableHttp("everything", "http://127.0.0.1:" + port + "/mcp", null));
    McpWire.register(g, McpWire.stdio("everythingstdio", node, List.of(everything, "stdio"), null));
    McpWire.register(g, McpWire.stdio("fs", node, List.of(filesystem, files.toString()), null));
    McpWire.awaitTools(g, KEY, Duration.ofSeconds(60), "everything.echo", "everythingstdio.echo", "fs.read_text_file");
  }

  @AfterAll
  static void stop() {
    try {
      if (g != null) {
        g.close();
      }
    } finally {
      if (everythingHttp != null) {
        everythingHttp.descendants().forEach(ProcessHandle::destroy);
        everythingHttp.destroy();
        try {
          everythingHttp.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static JsonNode tsClient(String tool, String args) throws IOException {
    NodeTools.Result r =
        NodeTools.run(List.of("node", "ts-client.mjs", g.api() + "/mcp", KEY, tool, args), Map.of(), Duration.ofSeconds(60));
    assertTrue(r.ok(), "ts-client exited " + r.exitCode() + ":\n" + r.output());
    String last = r.output().strip().lines().reduce((a, b) -> b).orElse("");
    return JSON.readTree(last);
  }

  private static String text(JsonNode call) {
    StringBuilder sb = new StringBuilder();
    call.path("content").forEach(c -> sb.append(c.path("text").asText()));
    return sb.toString();
  }

  /** The client listed the tools (its SDK validates the answer) and the one it called is there. */
  private static void assertListed(JsonNode out, String tool) {
    assertTrue(out.path("tools").isArray(), "tools/list failed: " + out);
    assertTrue(out.path("tools").toString().contains("\"" + tool + "\""), "not listed: " + tool + " in " + out);
  }

  @Test
  void typeScriptClientEchoOverStreamableHttp() throws IOException {
    JsonNode out = tsClient("everything.echo", "{\"message\":\"hi through gatehouse\"}");
    assertListed(out, "everything.echo");
    assertTrue(text(out.path("call")).contains("hi through gatehouse"), out.toString());
  }

  @Test
  void typeScriptClientEchoOverStdio() throws IOException {
    JsonNode out = tsClient("everythingstdio.echo", "{\"message\":\"hi over stdio\"}");
    assertListed(out, "everythingstdio.echo");
    assertTrue(text(out.path("call")).contains("hi over stdio"), out.toString());
  }

  @Test
  void typeScriptClientReadsAFileThroughServerFilesystem() throws IOException {
    String path = files.resolve("hello.txt").toString();
    JsonNode out = tsClient("fs.read_text_file", "{\"path\":\"" + path + "\"}");
    assertListed(out, "fs.read_text_file");
    assertEquals("hello from gatehouse interop\n", text(out.path("call")), out.toString());
  }

  /**
   * Runs the Inspector CLI. inspector-cli 1.0.3 finds its own package.json with {@code
   * fs.existsSync("../package.json")}, relative to the working directory, but imports it relative
   * to the module, so from any other directory it fails with "Cannot find module
   * .../node_modules/@modelcontextprotocol/package.json". It runs from its build directory here.
   */
  private static NodeTools.Result inspector(String... args) {
    Path build = NodeTools.dir().resolve("node_modules/@modelcontextprotocol/inspector-cli/build");
    List<String> command = new java.util.ArrayList<>(List.of(
        NodeTools.node().toString(), build.resolve("cli.js").toString(), "--cli", g.api() + "/mcp",
        "--transport", "http", "--header", "Authorization: Bearer " + KEY));
    command.addAll(List.of(args));
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(build.toFile()).redirectErrorStream(true);
      pb.environment().put("PATH", NodeTools.path());
      Process p = pb.start();
      java.util.concurrent.CompletableFuture<String> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
          return e.toString();
        }
      });
      boolean done = p.waitFor(60, TimeUnit.SECONDS);
      if (!done) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      return new NodeTools.Result(done ? p.exitValue() : -1, output.get(10, TimeUnit.SECONDS), !done);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The Inspector CLI lists the tools before it calls one, so this also checks the listing. */
  @Test
  void inspectorCliCallsEchoAndListDirectory() {
    NodeTools.Result echo =
        inspector("--method", "tools/call", "--tool-name", "everything.echo", "--tool-arg", "message=inspector says hi");
    assertTrue(echo.ok() && echo.output().contains("inspector says hi"), echo.output());
    NodeTools.Result dir =
        inspector("--method", "tools/call", "--tool-name", "fs.list_directory", "--tool-arg", "path=" + files);
    assertTrue(dir.ok() && dir.output().contains("hello.txt"), dir.output());
  }

  /**
   * The reference server offers its sampling, elicitation and roots tools only to a client that
   * declares those capabilities: Gatehouse's discovery client declares them, so they are in the
   * catalog (they never were, and calling one was unknown_tool for any agent).
   */
  @Test
  void toolsAServerOffersOnlyToClientsThatCanSampleElicitOrListRootsAreDiscovered() {
    McpWire.awaitTools(g, KEY, Duration.ofSeconds(30),
        "everything.trigger-sampling-request", "everything.trigger-elicitation-request", "everything.get-roots-list");
  }

  @Test
  void inspectorCliListsTools() {
    NodeTools.Result list = inspector("--method", "tools/list");
    assertTrue(list.ok(), list.output());
    assertTrue(list.output().contains("everything.echo") && list.output().contains("fs.read_text_file"), list.output());
  }
}
