package dev.gatehouse.registry.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** YAML to {@link RegistryFile}: the file as written, strictly, with errors in the file's own terms. */
class RegistryParserTest {

  static RegistryFile parse(String yaml) {
    return RegistryParser.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void readsTheFileAsWrittenWithoutInterpretingIt() {
    RegistryFile file = parse(
        """
        tools:
          - name: weather.lookup
            http: {method: get, url: "http://127.0.0.1:9000/weather/{city}"}
            timeout: 5s
            retry: {maxAttempts: 3, backoff: 2.5}
        mcpServers:
          - {name: files, transport: stdio, command: npx, prefix: ""}
          - {name: legacy, transport: sse, url: "https://legacy.example/sse"}
        virtualServers:
          - {name: readers, tools: ["weather.*"]}
        tenants:
          - name: acme
            agents: [{name: planner, tools: {allow: ["weather.*"]}}]
            identityProviders: [{name: corp, issuer: "https://login.acme.example", clockSkewSeconds: 30}]
        """);
    RegistryFile.Tool tool = file.tools().get(0);
    // Checking and defaults are the checker's: the method stays as written, the timeout is text.
    assertThat(tool.http().method()).isEqualTo("get");
    assertThat(tool.timeout()).isEqualTo("5s");
    assertThat(tool.retry()).isEqualTo(new RegistryFile.Retry(3, null, 2.5, null));
    assertThat(tool.description()).isNull();
    // "" (no prefix) and absent (the name) must stay apart.
    assertThat(file.mcpServers().get(0).prefix()).isEmpty();
    assertThat(file.mcpServers().get(1).prefix()).isNull();
    assertThat(file.virtualServers().get(0).tools()).containsExactly("weather.*");
    RegistryFile.Tenant acme = file.tenants().get(0);
    assertThat(acme.agents().get(0).tools().allow()).containsExactly("weather.*");
    assertThat(acme.identityProviders().get(0).clockSkewSeconds()).isEqualTo(30);
  }

  @Test
  void aLargeRegistryIsReadWhole() {
    // An export of a large deployment (here 4,000 tools, about 4.6 MB) must apply back: the YAML
    // reader's own default stops at 3 MB.
    StringBuilder yaml = new StringBuilder("tools:\n");
    String description = "d".repeat(1_000);
    for (int i = 0; i < 4_000; i++) {
      yaml.append("  - name: t").append(i).append("\n    description: ").append(description).append("\n    http: {url: \"http://x/").append(i).append("\"}\n");
    }
    assertThat(yaml.length()).isGreaterThan(4_000_000);
    RegistryFile file = parse(yaml.toString());
    assertThat(file.tools()).hasSize(4_000);
    assertThat(file.tools().get(3_999).name()).isEqualTo("t3999");
  }

  @Test
  void readsJsonToo() {
    RegistryFile file = parse("{\"tools\": [{\"name\": \"t\", \"http\": {\"url\": \"http://x\"}}]}");
    assertThat(file.tools()).extracting(RegistryFile.Tool::name).containsExactly("t");
  }

  @Test
  void aDocumentWithNothingInItDeclaresNothing() {
    assertThat(parse("---\n")).isEqualTo(new RegistryFile(null, null, null, null));
    assertThat(parse("tools: []\n").tools()).isEmpty();
  }

  @Test
  void textThatIsNotYamlIsRejectedAsSuch() {
    assertBad("tools: [\n", "registry file is not valid YAML: while parsing a flow node");
    assertBad("a: b: c\n", "registry file is not valid YAML: mapping values are not allowed here");
    // Not even a document: kept as it was, though "empty" would say it better.
    assertBad("", "registry file is not valid YAML: No content to map due to end-of-input");
  }

  @Test
  void bytesThatAreNotUtf8AreRejectedWithoutNamingJavaClasses() {
    byte[] latin1 = "tools: [{name: \"caf\u00e9\"}]\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] cutShort = {'a', ':', ' ', (byte) 0xc3};
    for (byte[] in : new byte[][] {{(byte) 0xff, (byte) 0xfe, 0}, latin1, cutShort}) {
      assertThatThrownBy(() -> RegistryParser.parse(new ByteArrayInputStream(in)))
          .isInstanceOf(RegistryException.class)
          .hasMessageStartingWith("registry file is not valid YAML: ")
          .hasMessageContaining("UTF-8")
          .hasMessageNotContaining("java.")
          .hasMessageNotContaining("Exception");
    }
  }

  @Test
  void anchorsAndAliasesAreRejectedNotReadAsTheAliasName() {
    // The YAML reader gave an alias as its name: "celsius" was stored as the string "s".
    String aliased =
        "tools:\n"
            + "  - name: a\n    http: {url: \"http://x\"}\n    inputSchema: &s {type: object}\n"
            + "  - name: b\n    http: {url: \"http://x\"}\n    inputSchema: {type: object, properties: {celsius: *s}}\n";
    assertThatThrownBy(() -> parse(aliased))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("uses a YAML anchor or alias")
        .hasMessageContaining("tools[0].inputSchema");
    // An alias of a scalar, and an alias alone (its anchor unknown), are refused as well. (An
    // anchor on a scalar that nothing refers to changes nothing, and the YAML reader does not
    // report it.)
    assertThatThrownBy(() -> parse("tools:\n  - name: &n a\n    description: *n\n    http: {url: \"http://x\"}\n"))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("tools[0].description uses a YAML anchor or alias");
    assertThatThrownBy(() -> parse("tools: *nothing\n")).isInstanceOf(RegistryException.class);
    // An anchored mapping is named where it is, not as a field of itself ("tools[0].null").
    assertThatThrownBy(() -> parse("tools:\n  - &t {name: a, http: {url: \"http://x\"}}\n  - *t\n"))
        .hasMessage("tools[0] uses a YAML anchor or alias (&name, *name); write the value out instead");
    assertThatThrownBy(() -> parse(aliased)).hasMessageStartingWith("tools[0].inputSchema uses");
  }

  @Test
  void aFileOfMoreThanOneDocumentIsRejectedNotCutToTheFirst() {
    assertBad("tools: []\n---\ntools: [{name: zz, http: {url: \"http://x\"}}]\n",
        "a registry file is one YAML document; this one has more (---)");
    assertThat(parse("---\ntools: []\n").tools()).as("one document that starts with ---").isEmpty();
  }

  @Test
  void aKeyGivenTwiceIsRejectedNotLastWins() {
    assertBad("tools:\n  - name: a\n    name: b\n", "registry file is not valid YAML: Duplicate field 'name'");
    assertBad("{\"tools\": [], \"tools\": []}", "registry file is not valid YAML: Duplicate field 'tools'");
  }

  @Test
  void textNoStoreCanHoldIsRejectedByPath() {
    assertBad("tools: [{name: \"a\\0b\"}]\n", "'tools[0].name' contains a NUL character (U+0000), which is not allowed in text");
    assertBad("{\"tools\":[{\"http\":{\"headers\":{\"X\":\"\\u0000\"}}}]}",
        "'tools[0].http.headers.X' contains a NUL character (U+0000), which is not allowed in text");
    assertBad("tenants: [{name: \"\\uD800\"}]\n", "'tenants[0].name' contains a lone surrogate (U+D800), which is not Unicode text");
  }

  static Stream<Arguments> unknownFields() {
    return Stream.of(
        Arguments.of("tool: []\n", "tool is not a known field (expected tools, mcpServers, virtualServers, providers, models, tenants or policies)"),
        Arguments.of("tools:\n  - name: t\n    htp: {url: 'http://x'}\n",
            "tools[0].htp is not a known field (expected name, description, http, inputSchema, timeout, retry, auth, approval or cost)"),
        Arguments.of("tools:\n  - name: t\n    http: {uri: 'http://x'}\n",
            "tools[0].http.uri is not a known field (expected method, url or headers)"),
        Arguments.of("tools:\n  - name: t\n    retry: {attempts: 3}\n",
            "tools[0].retry.attempts is not a known field (expected maxAttempts, initialInterval, backoff or maxInterval)"),
        Arguments.of("tools:\n  - name: t\n    auth: {type: none, secret: x}\n",
            "tools[0].auth.secret is not a known field (expected type, tokenUrl, clientId, clientSecret or scopes)"),
        Arguments.of("mcpServers:\n  - name: s\n    prefx: s\n",
            "mcpServers[0].prefx is not a known field (expected name, transport, url, command, args, env, workingDir, "
                + "prefix, headers, auth, timeout, connectTimeout, retry, execution or toolExecution)"),
        Arguments.of("virtualServers: [{name: v, tool: [a]}]\n",
            "virtualServers[0].tool is not a known field (expected name, description or tools)"),
        Arguments.of("tenants:\n  - name: a\n    keys: []\n",
            "tenants[0].keys is not a known field (expected name, agents, identityProviders, tools, mcpServers, virtualServers, providers, models or policies)"),
        Arguments.of("tenants:\n  - name: a\n    agents: [{name: x, role: admin}]\n",
            "tenants[0].agents[0].role is not a known field (expected name, subject, tools, models, workflows or approvals)"),
        Arguments.of("tenants:\n  - name: a\n    agents: [{name: x, tools: {allow: [a], block: [b]}}]\n",
            "tenants[0].agents[0].tools.block is not a known field (expected allow or deny)"),
        Arguments.of("tenants:\n  - name: a\n    identityProviders: [{name: i, jwks: 'https://x/j'}]\n",
            "tenants[0].identityProviders[0].jwks is not a known field "
                + "(expected name, issuer, audience, jwksUrl, algorithms, agentClaim or clockSkewSeconds)"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("unknownFields")
  void unknownFieldsAreRejectedByPathWithTheFieldsAllowedThere(String yaml, String message) {
    assertBad(yaml, message);
  }

  static Stream<Arguments> wrongKinds() {
    return Stream.of(
        Arguments.of("just a string\n",
            "registry file must be a mapping (fields: tools, mcpServers, virtualServers, providers, models, tenants, policies)"),
        Arguments.of("[1, 2]\n", "registry file must be a mapping (fields: tools, mcpServers, virtualServers, providers, models, tenants, policies)"),
        Arguments.of("tools: foo\n", "tools must be a list"),
        Arguments.of("tools: {name: t}\n", "tools must be a list"),
        Arguments.of("tools: [a]\n",
            "tools[0] must be a mapping (fields: name, description, http, inputSchema, timeout, retry, auth, approval, cost)"),
        Arguments.of("tools:\n  - name: [t]\n", "tools[0].name must be text"),
        Arguments.of("tools:\n  - name: t\n    http: 'http://x'\n",
            "tools[0].http must be a mapping (fields: method, url, headers)"),
        Arguments.of("tools:\n  - name: t\n    http: {url: 'http://x', headers: [a]}\n", "tools[0].http.headers must be a mapping"),
        Arguments.of("tools:\n  - name: t\n    http: {url: 'http://x', headers: {X: [a]}}\n",
            "tools[0].http.headers.X must be text"),
        Arguments.of("tools:\n  - name: t\n    timeout: [5s]\n", "tools[0].timeout must be text"),
        Arguments.of("tools:\n  - name: t\n    retry: {maxAttempts: many}\n",
            "tools[0].retry.maxAttempts must be a whole number, not 'many'"),
        Arguments.of("tools:\n  - name: t\n    retry: {maxAttempts: true}\n", "tools[0].retry.maxAttempts must be a whole number"),
        Arguments.of("tools:\n  - name: t\n    retry: {maxAttempts: 2.5}\n", "tools[0].retry.maxAttempts must be a whole number, not '2.5'"),
        Arguments.of("tools:\n  - name: t\n    retry: {backoff: fast}\n", "tools[0].retry.backoff must be a number, not 'fast'"),
        Arguments.of("tools:\n  - name: t\n    auth: {type: none, scopes: x}\n", "tools[0].auth.scopes must be a list"),
        Arguments.of("mcpServers:\n  - name: s\n    args: a\n", "mcpServers[0].args must be a list"),
        Arguments.of("virtualServers: [{name: v, tools: a}]\n", "virtualServers[0].tools must be a list"),
        Arguments.of("tenants:\n  - name: a\n    agents: [{name: x, tools: [a]}]\n",
            "tenants[0].agents[0].tools must be a mapping (fields: allow, deny)"),
        Arguments.of("tenants:\n  - name: a\n    agents: [{name: x, tools: {allow: [a, ~]}}]\n",
            "tenants[0].agents[0].tools must not hold empty entries"),
        Arguments.of("tenants:\n  - name: a\n    identityProviders: [{name: i, algorithms: RS256}]\n",
            "tenants[0].identityProviders[0].algorithms must be a list"),
        Arguments.of("tenants:\n  - name: a\n    identityProviders: [{name: i, clockSkewSeconds: soon}]\n",
            "tenants[0].identityProviders[0].clockSkewSeconds must be a whole number, not 'soon'"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("wrongKinds")
  void aValueOfTheWrongKindIsRejectedByPathWithTheKindExpected(String yaml, String message) {
    assertBad(yaml, message);
  }

  @Test
  void noMessageNamesAJavaType() {
    List<String> messages = Stream.concat(unknownFields(), wrongKinds())
        .map(a -> (String) a.get()[0])
        .map(yaml -> {
          try {
            parse(yaml);
            throw new AssertionError("accepted: " + yaml);
          } catch (RegistryException e) {
            return e.getMessage();
          }
        })
        .toList();
    assertThat(messages).allSatisfy(m -> assertThat(m)
        .doesNotContain("RegistryFile", "AccessList", "java.", "dev.gatehouse", "$", "`", "Json", "Integer", "String"));
  }

  @Test
  void whatTheYamlReaderSaysIsPassedOnWithoutJavaNames() {
    for (String yaml : List.of("? [tools] : []\n", "tools:\n  - name: t\n    cost: !!int 0xZZ\n",
        "tools: " + "[".repeat(1100) + "]".repeat(1100) + "\n")) {
      assertThatThrownBy(() -> parse(yaml))
          .isInstanceOf(RegistryException.class)
          .satisfies(e -> assertThat(e.getMessage()).as(e.getMessage())
              .doesNotContain("org.", "java.", "Event(", "`", "StreamReadConstraints", "radix", "For input string"));
    }
  }

  private static void assertBad(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(RegistryException.class)
        .hasMessage(message)
        .extracting(e -> ((RegistryException) e).code())
        .isEqualTo("invalid_registry");
  }
}
