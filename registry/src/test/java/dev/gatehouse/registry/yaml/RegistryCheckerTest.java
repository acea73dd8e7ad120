package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.MCP;
import static dev.gatehouse.registry.yaml.RegistryFixtures.TENANTS;
import static dev.gatehouse.registry.yaml.RegistryFixtures.TOOLS;
import static dev.gatehouse.registry.yaml.RegistryFixtures.entry;
import static dev.gatehouse.registry.yaml.RegistryFixtures.registry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServer;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A whole file checked: entries under their paths, and the rules across entries. */
class RegistryCheckerTest {

  @Test
  void checksTheDocumentedToolsWithDefaults() {
    List<ToolDefinition> tools = registry(TOOLS).tools();
    ToolDefinition weather = tools.get(0);
    assertThat(weather.name()).isEqualTo("weather.lookup");
    assertThat(weather.http().method()).isEqualTo("GET");
    assertThat(weather.http().placeholders()).containsExactly("city");
    assertThat(weather.http().headers()).containsEntry("Accept", "application/json");
    assertThat(weather.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(weather.retry().initialInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(weather.inputSchema().path("required").get(0).asText()).isEqualTo("city");
    ToolDefinition notes = tools.get(1);
    assertThat(notes.timeout()).isEqualTo(ToolEntries.DEFAULT_TIMEOUT);
    assertThat(notes.retry().maxAttempts()).isEqualTo(3);
  }

  @Test
  void checksTheDocumentedMcpServersAndVirtualServers() {
    Registry r = registry(MCP);
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
  void aTenantsEntriesStayWithItAndCarryNoTenantIdUntilApplied() {
    Registry r = registry(TENANTS);
    assertThat(r.tools()).extracting(ToolDefinition::name).containsExactly("weather.lookup", "notes.save");
    Registry.TenantSpec acme = r.tenants().get(0);
    assertThat(acme.name()).isEqualTo("acme");
    assertThat(acme.agents()).extracting(Registry.AgentSpec::name).containsExactly("planner");
    assertThat(acme.identityProviders()).extracting(IdentityProvider::name).containsExactly("corp");
    assertThat(acme.tools()).extracting(ToolDefinition::name).containsExactly("acme.crm", "acme.billing");
    assertThat(r.allTools()).hasSize(4).extracting(ToolDefinition::tenantId).containsOnlyNulls();
  }

  @Test
  void aFileWithNothingInItIsAnEmptyRegistry() {
    Registry r = RegistryChecker.check(new RegistryFile(null, null, null, null));
    assertThat(r.tools()).isEmpty();
    assertThat(r.mcpServers()).isEmpty();
    assertThat(r.virtualServers()).isEmpty();
    assertThat(r.tenants()).isEmpty();
  }

  @Test
  void eachEntryIsCheckedByItsKindsCheckUnderItsPathInTheFile() {
    assertBad("tools:\n  - name: t\n    http: {url: 'ftp://x'}\n",
        "tools[0] (t).http.url must be an absolute http:// or https:// URL");
    assertBad("tenants:\n  - name: a\n  - name: b\n    tools: [{name: t, http: {method: TRACE, url: 'http://x'}}]\n",
        "tenants[1].tools[0] (t).http.method must be one of GET, POST, PUT, PATCH, DELETE");
    assertBad("tenants:\n  - name: a\n    mcpServers: [{name: s, transport: stdio}]\n",
        "tenants[0].mcpServers[0] (s).command is required for stdio");
    assertBad("virtualServers: [{name: v, tools: [a]}, {name: w}]\n", "virtualServers[1] (w).tools is required: a list of tool names or patterns");
    assertBad("tenants:\n  - name: a\n    agents: [{name: x, tools: {allow: ['no spaces']}}]\n",
        "tenants[0].agents[0] (x) 'tools.allow' holds a pattern that is not 1-128 letters, digits or . _ * : / -");
    assertBad("tenants:\n  - name: a\n    identityProviders: [{name: i, issuer: 'https://x', audience: a, jwksUrl: 'https://x/j', "
            + "algorithms: [HS256]}]\n",
        "tenants[0].identityProviders[0] (i) algorithm 'HS256' is not accepted; use asymmetric ones: "
            + IdentityProvider.DEFAULT_ALGORITHMS);

    // The very check the admin API makes for a single entry.
    RegistryFile.Tool bad = entry(RegistryFile.Tool.class, "{name: t, http: {url: 'ftp://x'}}");
    assertThatThrownBy(() -> RegistryChecker.check(new RegistryFile(List.of(bad), null, null, null)))
        .hasMessage(messageOf(() -> ToolEntries.check("tools[0]", bad)));
  }

  static Stream<Arguments> rulesAcrossEntries() {
    String server = "{name: s, transport: sse, url: 'http://x/sse'}";
    return Stream.of(
        Arguments.of("tenants:\n  - name: 'has space'\n", "tenants[0].name must be 1-64 letters, digits, '.', '_' or '-'"),
        Arguments.of("tenants:\n  - ~\n", "tenants[0].name must be 1-64 letters, digits, '.', '_' or '-'"),
        Arguments.of("tenants:\n  - name: a\n  - name: a\n", "tenants[1] tenant 'a' is declared twice"),
        Arguments.of("tenants:\n  - name: a\n    agents: [{name: x}, {name: x}]\n", "tenants[0].agents[1] agent 'x' is declared twice"),
        // reported as a second 'x' before what else is wrong with it
        Arguments.of("tenants:\n  - name: a\n    agents: [{name: x}, {name: x, tools: {allow: ['no spaces']}}]\n",
            "tenants[0].agents[1] agent 'x' is declared twice"),
        Arguments.of("tools: [{name: t, http: {url: 'http://x'}}, {name: t, http: {url: 'http://y'}}]\n",
            "tools[1]: tool 't' is declared twice"),
        Arguments.of("tools: [{name: t, http: {url: 'http://x'}}]\ntenants:\n  - name: a\n    tools: [{name: t, http: {url: 'http://x'}}]\n",
            "tenants[0].tools[0]: tool 't' is declared twice"),
        Arguments.of("tenants:\n  - name: a\n    tools: [{name: t, http: {url: 'http://x'}}]\n"
                + "  - name: b\n    tools: [{name: t, http: {url: 'http://x'}}]\n",
            "tenants[1].tools[0]: tool 't' is declared twice"),
        Arguments.of("mcpServers: [" + server + ", " + server + "]\n", "mcpServers[1]: MCP server 's' is declared twice"),
        Arguments.of("mcpServers: [" + server + "]\ntenants:\n  - name: t\n    mcpServers: [" + server + "]\n",
            "tenants[0].mcpServers[0]: MCP server 's' clashes with the global MCP server of that name"),
        Arguments.of("tenants:\n  - name: t\n    mcpServers: [" + server + "]\n"
                + "  - name: u\n    mcpServers: [" + server + "]\n",
            "tenants[1].mcpServers[0]: MCP server 's' is also declared by tenant 't' (names are unique across tenants)"),
        Arguments.of("tenants:\n  - name: t\n    mcpServers: [" + server + ", " + server + "]\n",
            "tenants[0].mcpServers[1]: MCP server 's' is declared twice"),
        Arguments.of("virtualServers: [{name: v, tools: [a]}, {name: v, tools: [b]}]\n",
            "virtualServers[1]: virtual server 'v' is declared twice"),
        Arguments.of("virtualServers: [{name: v, tools: [a]}]\ntenants:\n  - name: t\n    virtualServers: [{name: v, tools: [b]}]\n",
            "tenants[0].virtualServers[0]: virtual server 'v' clashes with the global virtual server of that name"),
        Arguments.of("tenants:\n  - name: t\n    virtualServers: [{name: v, tools: [a]}]\n"
                + "  - name: u\n    virtualServers: [{name: v, tools: [a]}]\n",
            "tenants[1].virtualServers[0]: virtual server 'v' is also declared by tenant 't' (names are unique across tenants)"),
        Arguments.of("tenants:\n  - name: t\n    identityProviders: [" + idp("p", "https://a") + ", " + idp("p", "https://b") + "]\n",
            "tenants[0].identityProviders[1] identity provider 'p' is declared twice"),
        Arguments.of("tenants:\n  - name: t\n    identityProviders: [" + idp("p", "https://a") + "]\n"
                + "  - name: u\n    identityProviders: [" + idp("q", "https://a") + "]\n",
            "tenants[1].identityProviders[0] issuer 'https://a' is also used by tenant 't' (issuers are unique across tenants)"),
        Arguments.of("tenants:\n  - name: t\n    identityProviders: [" + idp("p", "https://a") + ", " + idp("q", "https://a") + "]\n",
            "tenants[0].identityProviders[1] issuer 'https://a' is also used by another identity provider of this tenant (issuers are unique across tenants)"),
        Arguments.of("tenants:\n  - name: t\n    agents: [{name: x, subject: s}, {name: y, subject: s}]\n",
            "tenants[0].agents[1] subject 's' is used by another agent of this tenant (subjects are unique in a tenant)"));
  }

  private static String idp(String name, String issuer) {
    return "{name: " + name + ", issuer: '" + issuer + "', audience: a, jwksUrl: '" + issuer + "/jwks'}";
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("rulesAcrossEntries")
  void namesAreDeclaredOnce(String yaml, String message) {
    assertBad(yaml, message);
  }

  @Test
  void namesNeedOnlyBeUniqueAmongTheirOwnKindAndAgentsWithinTheirTenant() {
    Registry r = registry(
        """
        mcpServers: [{name: desk, transport: sse, url: 'http://x/sse'}]
        virtualServers: [{name: desk, tools: ['desk.*']}]
        tools: [{name: desk, http: {url: 'http://x'}}]
        tenants:
          - name: a
            agents: [{name: bot}]
          - name: b
            agents: [{name: bot}]
        """);
    assertThat(r.mcpServers()).extracting(McpServerDefinition::name).containsExactly("desk");
    assertThat(r.virtualServers()).extracting(VirtualServer::name).containsExactly("desk");
    assertThat(r.tenants()).allSatisfy(t -> assertThat(t.agents()).extracting(Registry.AgentSpec::name).containsExactly("bot"));
  }

  @Test
  void serversTheSameAgentsSeeHaveDistinctPrefixes() {
    String a = "{name: a, transport: sse, url: 'http://x/sse', prefix: p}";
    assertBad("mcpServers: [" + a + ", {name: b, transport: sse, url: 'http://x/sse', prefix: p}]\n",
        "mcpServers[1]: MCP server 'b' has the prefix 'p' of MCP server 'a', whose tools the same agents see; give one of them another prefix");
    // a name is the prefix when none is given
    assertBad("mcpServers: [" + a + ", {name: p, transport: sse, url: 'http://x/sse'}]\n",
        "mcpServers[1]: MCP server 'p' has the prefix 'p' of MCP server 'a', whose tools the same agents see; give one of them another prefix");
    assertBad("mcpServers: [" + a + "]\ntenants:\n  - name: t\n    mcpServers: [{name: b, transport: sse, url: 'http://x/sse', prefix: p}]\n",
        "tenants[0].mcpServers[0]: MCP server 'b' has the prefix 'p' of MCP server 'a', whose tools the same agents see; give one of them another prefix");
    assertBad("tenants:\n  - name: t\n    mcpServers: [" + a + ", {name: b, transport: sse, url: 'http://x/sse', prefix: p}]\n",
        "tenants[0].mcpServers[1]: MCP server 'b' has the prefix 'p' of MCP server 'a', whose tools the same agents see; give one of them another prefix");

    // Two tenants' servers may share one; servers without a prefix are not compared.
    Registry r = registry(
        """
        mcpServers: [{name: c, transport: sse, url: 'http://x/sse', prefix: ''}, {name: d, transport: sse, url: 'http://x/sse', prefix: ''}]
        tenants:
          - name: t
            mcpServers: [{name: a, transport: sse, url: 'http://x/sse', prefix: p}]
          - name: u
            mcpServers: [{name: b, transport: sse, url: 'http://x/sse', prefix: p}]
        """);
    assertThat(r.tenants()).allSatisfy(t -> assertThat(t.mcpServers()).extracting(McpServerDefinition::effectivePrefix).containsExactly("p"));
    assertThat(r.mcpServers()).hasSize(2);
  }

  private static String messageOf(Runnable r) {
    try {
      r.run();
    } catch (RegistryException e) {
      return e.getMessage();
    }
    throw new AssertionError("accepted");
  }

  private static void assertBad(String yaml, String message) {
    assertThatThrownBy(() -> registry(yaml))
        .isInstanceOf(RegistryException.class)
        .hasMessage(message)
        .extracting(e -> ((RegistryException) e).code())
        .isEqualTo("invalid_registry");
  }
}
