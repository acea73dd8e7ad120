package dev.gatehouse.registry.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.RetrySpec;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MCP servers and virtual servers in the registry file: shape, checks, apply and export. */
class McpRegistryLoaderTest {
  private static final String FILE =
      """
      mcpServers:
        - name: everything
          transport: streamable-http
          url: http://127.0.0.1:3001/mcp
          prefix: everything
          headers: {X-Api-Key: "{{secret:EVERYTHING_KEY}}", X-Team: platform}
          auth: {type: oauth2-client-credentials, tokenUrl: "https://login.example/token", clientId: gatehouse, clientSecret: "{{secret:X}}", scopes: [mcp]}
          timeout: 30s
          connectTimeout: 5s
          retry: {maxAttempts: 3, initialInterval: 200ms, backoff: 2.0, maxInterval: 10s}
          execution: auto
          toolExecution: {write_file: durable, echo: direct}
        - name: files
          transport: stdio
          command: npx
          args: ["-y", "@modelcontextprotocol/server-filesystem", "/srv"]
          env: {TOKEN: "{{secret:FILES_TOKEN}}", MODE: ro}
          workingDir: /srv
          prefix: ""
        - name: legacy
          transport: sse
          url: https://legacy.example/sse
      virtualServers:
        - name: readers
          description: Read-only tools
          tools: ["everything.echo", "weather.*"]
      tenants:
        - name: acme
          mcpServers:
            - name: acme-crm
              transport: streamable-http
              url: https://crm.acme.example/mcp
              execution: durable
          virtualServers:
            - name: acme-desk
              tools: ["acme-crm.*"]
      """;

  static Registry registry(String yaml) {
    return RegistryChecker.check(RegistryParser.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void parsesTheDocumentedShape() {
    Registry r = registry(FILE);
    McpServerDefinition everything = r.mcpServers().get(0);
    assertThat(everything.name()).isEqualTo("everything");
    assertThat(everything.transport()).isEqualTo("streamable-http");
    assertThat(everything.url()).isEqualTo("http://127.0.0.1:3001/mcp");
    assertThat(everything.headers()).containsEntry("X-Api-Key", "{{secret:EVERYTHING_KEY}}");
    assertThat(everything.auth().clientSecret()).isEqualTo("{{secret:X}}");
    assertThat(everything.auth().scopes()).containsExactly("mcp");
    assertThat(everything.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(everything.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(everything.retry()).isEqualTo(RetrySpec.DEFAULT);
    assertThat(everything.toolExecution()).isEqualTo(Map.of("write_file", "durable", "echo", "direct"));
    assertThat(everything.durable("write_file", true)).isTrue();
    assertThat(everything.durable("echo", false)).isFalse();
    assertThat(everything.qualify("echo")).isEqualTo("everything.echo");

    McpServerDefinition files = r.mcpServers().get(1);
    assertThat(files.transport()).isEqualTo("stdio");
    assertThat(files.command()).isEqualTo("npx");
    assertThat(files.args()).containsExactly("-y", "@modelcontextprotocol/server-filesystem", "/srv");
    assertThat(files.env()).containsEntry("TOKEN", "{{secret:FILES_TOKEN}}");
    assertThat(files.workingDir()).isEqualTo("/srv");
    assertThat(files.prefix()).isEmpty();
    assertThat(files.qualify("read_file")).isEqualTo("read_file");

    // Left out: defaults come from the definition, nothing is filled in.
    McpServerDefinition legacy = r.mcpServers().get(2);
    assertThat(legacy.prefix()).isNull();
    assertThat(legacy.effectivePrefix()).isEqualTo("legacy");
    assertThat(legacy.execution()).isEqualTo("auto");
    assertThat(legacy.timeout()).isNull();
    assertThat(legacy.timeoutOrDefault()).isEqualTo(McpServerDefinition.DEFAULT_TIMEOUT);
    assertThat(legacy.retry()).isNull();

    assertThat(r.virtualServers()).containsExactly(
        new VirtualServer("readers", null, "Read-only tools", List.of("everything.echo", "weather.*")));
    assertThat(r.tenants().get(0).mcpServers()).extracting(McpServerDefinition::name).containsExactly("acme-crm");
    assertThat(r.tenants().get(0).virtualServers()).extracting(VirtualServer::name).containsExactly("acme-desk");
  }

  @Test
  void appliesIdempotentlyAndExportsBackToTheSameRegistry() {
    try (TestDatabase db = TestDatabase.create(); TestDatabase copy = TestDatabase.create()) {
      RegistryApplier.ApplyResult first = RegistryApplier.apply(db.jdbi(), registry(FILE));
      assertThat(first).isEqualTo(new RegistryApplier.ApplyResult(1, 0, 0, 0, 4, 2, 1 + 4 + 2));
      assertThat(RegistryApplier.apply(db.jdbi(), registry(FILE)).changed()).isZero();

      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      assertThat(servers.find("everything").orElseThrow()).isEqualTo(registry(FILE).mcpServers().get(0));
      assertThat(servers.find("everything").orElseThrow().tenantId()).isNull();
      assertThat(servers.find("files").orElseThrow().prefix()).isEmpty();
      assertThat(servers.find("acme-crm").orElseThrow().tenantId()).startsWith("ten_");
      VirtualServerDao virtuals = db.jdbi().onDemand(VirtualServerDao.class);
      assertThat(virtuals.find("readers").orElseThrow().tenantId()).isNull();
      assertThat(virtuals.find("acme-desk").orElseThrow().tenantId()).startsWith("ten_");

      String exported = RegistryExporter.toYaml(RegistryExporter.export(db.jdbi()));
      assertThat(exported)
          .contains("mcpServers:")
          .contains("virtualServers:")
          .contains("{{secret:EVERYTHING_KEY}}")
          .contains("timeout: 30s")
          .contains("connectTimeout: 5s")
          .contains("prefix: \"\"")
          .contains("write_file: durable");
      // The export applies elsewhere to the same registry, and re-applying it changes nothing.
      RegistryApplier.apply(copy.jdbi(), registry(exported));
      assertThat(RegistryExporter.toYaml(RegistryExporter.export(copy.jdbi()))).isEqualTo(exported);
      assertThat(copy.jdbi().onDemand(McpServerDao.class).list())
          .usingRecursiveFieldByFieldElementComparatorIgnoringFields("tenantId")
          .isEqualTo(servers.list());
      assertThat(RegistryApplier.apply(db.jdbi(), registry(exported)).changed()).isZero();
    }
  }

  @Test
  void aChangedServerIsUpdatedAndOnesMissingFromTheFileStay() {
    try (TestDatabase db = TestDatabase.create()) {
      RegistryApplier.apply(db.jdbi(), registry(FILE));
      String smaller =
          """
          mcpServers:
            - name: legacy
              transport: sse
              url: https://legacy.example/v2/sse
          """;
      assertThat(RegistryApplier.apply(db.jdbi(), registry(smaller)).changed()).isEqualTo(1);
      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      assertThat(servers.find("legacy").orElseThrow().url()).isEqualTo("https://legacy.example/v2/sse");
      // Like tools: applying removes nothing absent from the file.
      assertThat(servers.list()).extracting(McpServerDefinition::name)
          .containsExactly("acme-crm", "everything", "files", "legacy");
      assertThat(db.jdbi().onDemand(VirtualServerDao.class).list()).hasSize(2);
    }
  }

  private static final String HTTP = "    transport: streamable-http\n    url: 'http://x/mcp'\n";

  @Test
  void rejectsBadServersNamingTheField() {
    assertBad("mcpServers:\n  - name: 'a.b'\n" + HTTP, "mcpServers[0].name", "no '.'");
    assertBad("mcpServers:\n  - name: 'has space'\n" + HTTP, "mcpServers[0].name");
    assertBad("mcpServers:\n  - name: s\n    url: 'http://x/mcp'\n", "mcpServers[0] (s).transport is required");
    assertBad("mcpServers:\n  - name: s\n    transport: websocket\n    url: 'http://x/mcp'\n", ".transport must be one of");
    assertBad("mcpServers:\n  - name: s\n    transport: streamable-http\n", "(s).url is required");
    assertBad("mcpServers:\n  - name: s\n    transport: sse\n    url: 'ftp://x/mcp'\n", ".url must be an absolute http");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    command: npx\n", ".command is only for stdio");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    args: [a]\n", ".args is only for stdio");
    assertBad("mcpServers:\n  - name: s\n    transport: stdio\n", ".command is required for stdio");
    assertBad("mcpServers:\n  - name: s\n    transport: stdio\n    command: npx\n    url: 'http://x/mcp'\n", ".url is not allowed for stdio");
    assertBad("mcpServers:\n  - name: s\n    transport: stdio\n    command: npx\n    headers: {A: b}\n", ".headers are only for");
    assertBad("mcpServers:\n  - name: s\n    transport: stdio\n    command: npx\n    workingDir: srv\n", ".workingDir must be an absolute path");
    assertBad("mcpServers:\n  - name: s\n    transport: stdio\n    command: npx\n    env: {'1X': a}\n", ".env '1X' is not an environment variable name");
    assertBad("mcpServers:\n  - name: s\n    transport: stdio\n    command: npx\n    env: {X: '{{secret:bad name}}'}\n", ".env.X has a malformed {{secret:NAME}} reference");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    headers: {X-Key: '{{secret:}}'}\n", ".headers.X-Key has a malformed");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    headers: {Mcp-Session-Id: x}\n", "'Mcp-Session-Id' is not a header");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    headers: {Host: x}\n", "'Host' is not a header");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    auth: {type: oauth2-client-credentials, tokenUrl: 'http://x/t', clientId: c, clientSecret: literal}\n", ".auth.clientSecret must name a secret");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    prefix: 'a.b'\n", ".prefix must be empty");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    execution: sometimes\n", ".execution must be one of auto, direct, durable");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    toolExecution: {echo: never}\n", ".toolExecution.echo must be one of");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    timeout: soon\n", ".timeout");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    connectTimeout: 0s\n", ".connectTimeout must be between 1ms and 10m");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    retry: {maxAttempts: 0}\n", ".retry.maxAttempts");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "    prefx: s\n", "prefx");
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "  - name: s\n" + HTTP, "mcpServers[1]: MCP server 's' is declared twice");
  }

  @Test
  void serverNamesAreUniqueAcrossGlobalAndTenants() {
    assertBad("mcpServers:\n  - name: s\n" + HTTP + "tenants:\n  - name: t\n    mcpServers:\n      - name: s\n        transport: sse\n        url: 'http://y/sse'\n",
        "tenants[0].mcpServers[0]: MCP server 's' clashes with the global MCP server");
    assertBad("tenants:\n  - name: t\n    mcpServers: [{name: s, transport: sse, url: 'http://y/sse'}]\n"
            + "  - name: u\n    mcpServers: [{name: s, transport: sse, url: 'http://y/sse'}]\n",
        "tenants[1].mcpServers[0]: MCP server 's' is also declared by tenant 't'");
    assertBad("virtualServers: [{name: v, tools: [a]}]\ntenants:\n  - name: t\n    virtualServers: [{name: v, tools: [b]}]\n",
        "virtual server 'v' clashes with the global virtual server");
  }

  @Test
  void rejectsBadVirtualServers() {
    assertBad("virtualServers: [{name: 'a.b', tools: [x]}]\n", "virtualServers[0].name");
    assertBad("virtualServers: [{name: v}]\n", "virtualServers[0] (v).tools is required");
    assertBad("virtualServers: [{name: v, tools: []}]\n", "(v).tools is required");
    assertBad("virtualServers: [{name: v, tools: [a, '']}]\n", "(v).tools[1] must be a tool name or pattern");
    assertBad("virtualServers: [{name: v, tools: [a]}, {name: v, tools: [b]}]\n", "virtual server 'v' is declared twice");
  }

  private static void assertBad(String yaml, String... mentions) {
    var thrown = assertThatThrownBy(() -> registry(yaml)).isInstanceOf(RegistryException.class);
    for (String m : mentions) {
      thrown.hasMessageContaining(m);
    }
    thrown.extracting(e -> ((RegistryException) e).code()).isEqualTo("invalid_registry");
  }
}
