package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.tools.RetrySpec;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One MCP server entry, checked on its own as the admin API does ("mcpServer" is where it puts it). */
class McpServerEntriesTest {
  private static final String HTTP = "name: s\ntransport: streamable-http\nurl: 'http://x/mcp'\n";
  private static final String STDIO = "name: s\ntransport: stdio\ncommand: npx\n";

  static McpServerDefinition check(String yaml) {
    return McpServerEntries.check("mcpServer", entry(RegistryFile.McpServer.class, yaml));
  }

  @Test
  void whatIsLeftOutStaysOutSoAnExportWritesBackOnlyWhatWasWritten() {
    McpServerDefinition s = check(HTTP);
    assertThat(s.prefix()).isNull();
    assertThat(s.timeout()).isNull();
    assertThat(s.connectTimeout()).isNull();
    assertThat(s.retry()).isNull();
    assertThat(s.auth()).isNull();
    assertThat(s.tenantId()).isNull();
    // The definition, not the check, supplies what applies.
    assertThat(s.effectivePrefix()).isEqualTo("s");
    assertThat(s.execution()).isEqualTo(McpServerDefinition.AUTO);
    assertThat(s.timeoutOrDefault()).isEqualTo(McpServerDefinition.DEFAULT_TIMEOUT);
  }

  @Test
  void whatIsWrittenIsKept() {
    McpServerDefinition s = check(HTTP
        + """
        prefix: ""
        headers: {X-Api-Key: "{{secret:KEY}}"}
        timeout: 10m
        connectTimeout: 1ms
        retry: {}
        execution: durable
        toolExecution: {echo: direct, write_file: durable}
        """);
    assertThat(s.prefix()).isEmpty();
    assertThat(s.qualify("echo")).isEqualTo("echo");
    assertThat(s.headers()).containsEntry("X-Api-Key", "{{secret:KEY}}");
    assertThat(s.timeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(s.connectTimeout()).isEqualTo(Duration.ofMillis(1));
    // Written but empty: the default policy, spelt out.
    assertThat(s.retry()).isEqualTo(RetrySpec.DEFAULT);
    assertThat(s.execution()).isEqualTo("durable");
    assertThat(s.toolExecution()).isEqualTo(Map.of("echo", "direct", "write_file", "durable"));
  }

  @Test
  void aStdioServerKeepsItsCommandLine() {
    McpServerDefinition s = check(STDIO + "args: ['-y', server]\nenv: {TOKEN: '{{secret:T}}', _MODE: ro}\nworkingDir: /srv\n");
    assertThat(s.command()).isEqualTo("npx");
    assertThat(s.args()).containsExactly("-y", "server");
    assertThat(s.env()).isEqualTo(Map.of("TOKEN", "{{secret:T}}", "_MODE", "ro"));
    assertThat(s.workingDir()).isEqualTo("/srv");
    assertThat(s.url()).isNull();
  }

  @Test
  void anEmptyEntryIsRejected() {
    assertThatThrownBy(() -> McpServerEntries.check("mcpServers[1]", null)).hasMessage("mcpServers[1] is empty");
  }

  static Stream<Arguments> rejected() {
    String badName = "mcpServer.name must be 1-128 letters, digits, '_' or '-' (no '.')";
    String secretRef = " has a malformed {{secret:NAME}} reference";
    String execution = " must be one of auto, direct, durable";
    return Stream.of(
        Arguments.of("transport: sse\nurl: 'http://x'\n", badName),
        Arguments.of("name: 'a.b'\ntransport: sse\nurl: 'http://x'\n", badName),
        Arguments.of("name: 'a b'\ntransport: sse\nurl: 'http://x'\n", badName),
        Arguments.of("name: s\nurl: 'http://x/mcp'\n", "mcpServer (s).transport is required: streamable-http, sse or stdio"),
        Arguments.of("name: s\ntransport: websocket\nurl: 'http://x/mcp'\n",
            "mcpServer (s).transport must be one of streamable-http, sse, stdio"),
        // stdio: a command line, no URL or HTTP settings
        Arguments.of(STDIO + "url: 'http://x/mcp'\n", "mcpServer (s).url is not allowed for stdio (use command)"),
        Arguments.of("name: s\ntransport: stdio\n", "mcpServer (s).command is required for stdio"),
        Arguments.of("name: s\ntransport: stdio\ncommand: ' '\n", "mcpServer (s).command is required for stdio"),
        Arguments.of(STDIO + "headers: {A: b}\n", "mcpServer (s).headers are only for streamable-http and sse (use env for stdio)"),
        Arguments.of(STDIO + "auth: {type: none}\n", "mcpServer (s).auth is only for streamable-http and sse"),
        Arguments.of(STDIO + "args: [a, ~]\n", "mcpServer (s).args must not hold empty entries"),
        Arguments.of(STDIO + "env: {'1X': a}\n",
            "mcpServer (s).env '1X' is not an environment variable name (letters, digits, '_'; not starting with a digit)"),
        Arguments.of(STDIO + "env: {X: '{{secret:bad name}}'}\n", "mcpServer (s).env.X" + secretRef),
        Arguments.of(STDIO + "env: {X: }\n", "mcpServer (s).env.X" + secretRef),
        Arguments.of(STDIO + "workingDir: srv\n", "mcpServer (s).workingDir must be an absolute path"),
        Arguments.of("name: s\ntransport: stdio\ncommand: " + "c".repeat(4097) + "\n", "mcpServer (s).command must be at most 4096 characters"),
        Arguments.of(STDIO + "args: [" + "a,".repeat(257) + "]\n", "mcpServer (s).args must be at most 256 entries of at most 4096 characters"),
        Arguments.of(STDIO + "args: [" + "a".repeat(4097) + "]\n", "mcpServer (s).args must be at most 256 entries of at most 4096 characters"),
        Arguments.of(STDIO + "workingDir: /" + "d".repeat(4096) + "\n", "mcpServer (s).workingDir must be at most 4096 characters"),
        Arguments.of(STDIO + "env: {" + "A".repeat(200) + ": x}\n",
            "mcpServer (s).env '" + "A".repeat(64) + "...' is not an environment variable name (letters, digits, '_'; not starting with a digit)"),
        Arguments.of(STDIO + "env: {X: " + "v".repeat(8193) + "}\n", "mcpServer (s).env.X is longer than 8192 characters"),
        Arguments.of(HTTP + "auth: {type: oauth2-client-credentials, tokenUrl: 'http://x/t', clientId: c, clientSecret: '{{secret:s}}', scopes: [~]}\n",
            "mcpServer (s).auth.scopes[0] must be an OAuth scope: 1-256 printable ASCII characters, without spaces, '\"' or '\\'"),
        // streamable-http and sse: a URL, no command line
        Arguments.of(HTTP + "command: npx\n", "mcpServer (s).command is only for stdio (use url for streamable-http)"),
        Arguments.of("name: s\ntransport: sse\nurl: 'http://x'\ncommand: npx\n", "mcpServer (s).command is only for stdio (use url for sse)"),
        Arguments.of(HTTP + "args: [a]\n", "mcpServer (s).args is only for stdio"),
        Arguments.of(HTTP + "env: {A: b}\n", "mcpServer (s).env is only for stdio"),
        Arguments.of(HTTP + "workingDir: /srv\n", "mcpServer (s).workingDir is only for stdio"),
        Arguments.of("name: s\ntransport: streamable-http\n", "mcpServer (s).url is required"),
        Arguments.of("name: s\ntransport: sse\nurl: 'ftp://x/mcp'\n", "mcpServer (s).url must be an absolute http:// or https:// URL"),
        Arguments.of(HTTP + "headers: {Mcp-Session-Id: x}\n", "mcpServer (s).headers 'Mcp-Session-Id' is not a header Gatehouse lets an MCP server set"),
        Arguments.of(HTTP + "headers: {mcp-protocol-version: x}\n",
            "mcpServer (s).headers 'mcp-protocol-version' is not a header Gatehouse lets an MCP server set"),
        Arguments.of(HTTP + "headers: {Host: x}\n", "mcpServer (s).headers 'Host' is not a header Gatehouse lets an MCP server set"),
        Arguments.of(HTTP + "headers: {Authorization: 'Bearer ghp_live'}\n",
            "mcpServer (s).headers.Authorization carries a credential, so it must take it from a secret, as \"Bearer {{secret:NAME}}\" (secrets are never written in the registry)"),
        Arguments.of(HTTP + "headers: {X-Key: '{{secret:}}'}\n", "mcpServer (s).headers.X-Key" + secretRef),
        Arguments.of(HTTP + "auth: {type: oauth2-client-credentials, tokenUrl: 'http://x/t', clientId: c, clientSecret: literal}\n",
            "mcpServer (s).auth.clientSecret must name a secret as {{secret:NAME}} (secrets are never written in the registry)"),
        // either transport
        Arguments.of(HTTP + "prefix: 'a.b'\n", "mcpServer (s).prefix must be empty (no prefix) or 1-128 letters, digits, '_' or '-' (no '.')"),
        Arguments.of(HTTP + "timeout: soon\n", "mcpServer (s).timeout 'soon' is not a duration (write it like 200ms, 5s, 2m, 1h or 1d)"),
        Arguments.of(HTTP + "timeout: 11m\n", "mcpServer (s).timeout must be between 1ms and 10m"),
        Arguments.of(HTTP + "connectTimeout: 0s\n", "mcpServer (s).connectTimeout must be between 1ms and 10m"),
        Arguments.of(HTTP + "retry: {maxAttempts: 0}\n", "mcpServer (s).retry.maxAttempts must be between 1 and 100"),
        Arguments.of(HTTP + "execution: sometimes\n", "mcpServer (s).execution" + execution),
        Arguments.of(HTTP + "toolExecution: {echo: never}\n", "mcpServer (s).toolExecution.echo" + execution),
        Arguments.of(HTTP + "toolExecution: {echo: }\n", "mcpServer (s).toolExecution.echo" + execution),
        Arguments.of(HTTP + "toolExecution: {'': direct}\n",
            "mcpServer (s).toolExecution has a tool name that is empty or longer than 128 characters"),
        Arguments.of(HTTP + "toolExecution: {" + "e".repeat(129) + ": direct}\n",
            "mcpServer (s).toolExecution has a tool name that is empty or longer than 128 characters"));
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
