package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.tools.UpstreamAuth;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One HTTP tool entry, checked on its own as the admin API does ("tool" is where it puts it). */
class ToolEntriesTest {
  private static final String T = "name: t\nhttp: {url: 'http://x'}\n";

  static ToolDefinition check(String yaml) {
    return ToolEntries.check("tool", entry(RegistryFile.Tool.class, yaml));
  }

  @Test
  void whatIsLeftOutGetsTheDefaults() {
    ToolDefinition t = check(T);
    assertThat(t.name()).isEqualTo("t");
    assertThat(t.description()).isEmpty();
    assertThat(t.http().method()).isEqualTo("GET");
    assertThat(t.http().url()).isEqualTo("http://x");
    assertThat(t.http().headers()).isEmpty();
    assertThat(t.inputSchema()).isNull();
    assertThat(t.timeout()).isEqualTo(ToolEntries.DEFAULT_TIMEOUT).isEqualTo(Duration.ofSeconds(10));
    assertThat(t.retry()).isEqualTo(RetrySpec.DEFAULT);
    assertThat(t.auth()).isNull();
    assertThat(t.tenantId()).isNull();
  }

  @Test
  void aToolMayRequireApprovalAndNothingElse() throws Exception {
    assertThat(check(T).approvalRequired()).isFalse();
    assertThat(check(T + "approval: none\n").approval()).isNull();
    ToolDefinition t = check(T + "approval: required\n");
    assertThat(t.approvalRequired()).isTrue();
    // Stored as JSON and read back, as the tools table keeps it; a tool stored before the field existed has none.
    var json = new com.fasterxml.jackson.databind.ObjectMapper().findAndRegisterModules();
    assertThat(json.readValue(json.writeValueAsString(t), ToolDefinition.class).approvalRequired()).isTrue();
    assertThat(json.writeValueAsString(check(T))).doesNotContain("approval");
    assertThatThrownBy(() -> check(T + "approval: maybe\n"))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("tool (t).approval")
        .hasMessageContaining("'required' or 'none'");
  }

  @Test
  void aToolMayDeclareWhatOneCallCostsForBudgets() throws Exception {
    assertThat(check(T).cost()).isNull();
    assertThat(check(T + "cost: 0\n").cost()).as("nothing is no cost").isNull();
    ToolDefinition t = check(T + "cost: 0.0250\n");
    assertThat(t.cost()).isEqualByComparingTo("0.025");
    assertThat(t.cost().toPlainString()).isEqualTo("0.025");
    assertThat(check(T + "cost: 1000000000\n").cost().toPlainString()).isEqualTo("1000000000");
    // Stored as JSON and read back exactly, as the tools table keeps it; a tool without a cost writes none.
    var json = new com.fasterxml.jackson.databind.ObjectMapper().findAndRegisterModules();
    assertThat(json.readValue(json.writeValueAsString(t), ToolDefinition.class).cost()).isEqualByComparingTo("0.025");
    assertThat(json.writeValueAsString(check(T))).doesNotContain("cost");
    for (String bad : List.of("-1", "0.0000001", "1000000001")) {
      assertThatThrownBy(() -> check(T + "cost: " + bad + "\n"))
          .as(bad)
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("tool (t).cost")
          .hasMessageContaining("between 0 and 10^9, with at most 6 decimals");
    }
  }

  @Test
  void whatIsWrittenIsKept() {
    ToolDefinition t = check(
        """
        name: acme.billing
        description: Charges a customer
        http: {method: post, url: "https://billing.example/{customer}/charge", headers: {Authorization: "Bearer {{secret:billing}}"}}
        inputSchema: {type: object}
        timeout: 10m
        retry: {maxAttempts: 100, initialInterval: 1s, backoff: 10.0, maxInterval: 1m}
        auth: {type: oauth2-client-credentials, tokenUrl: "https://login.example/token", clientId: gh, clientSecret: "{{secret:c}}", scopes: [charge]}
        """);
    assertThat(t.description()).isEqualTo("Charges a customer");
    assertThat(t.http().method()).isEqualTo("POST");
    assertThat(t.http().placeholders()).containsExactly("customer");
    assertThat(t.http().headers()).containsEntry("Authorization", "Bearer {{secret:billing}}");
    assertThat(t.inputSchema().path("type").asText()).isEqualTo("object");
    assertThat(t.timeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(t.retry()).isEqualTo(new RetrySpec(100, Duration.ofSeconds(1), 10.0, Duration.ofMinutes(1)));
    assertThat(t.auth()).isEqualTo(
        new UpstreamAuth(UpstreamAuth.CLIENT_CREDENTIALS, "https://login.example/token", "gh", "{{secret:c}}", List.of("charge")));
  }

  @Test
  void aLongestWaitBelowTheFirstMeansTheWaitNeverGrows() {
    assertThat(check(T + "retry: {initialInterval: 5s, maxInterval: 1s}\n").retry().maxInterval())
        .isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void authNoneIsNoAuth() {
    assertThat(check(T + "auth: {type: none}\n").auth()).isNull();
  }

  @Test
  void anEmptyEntryIsRejected() {
    assertThatThrownBy(() -> ToolEntries.check("tools[3]", null)).hasMessage("tools[3] is empty");
  }

  static Stream<Arguments> rejected() {
    String badName = "tool.name must be 1-128 letters, digits, '.', '_' or '-'";
    String notAbsolute = "tool (t).http.url must be an absolute http:// or https:// URL";
    String timeout = "tool (t).timeout must be between 1ms and 10m";
    return Stream.of(
        Arguments.of("http: {url: 'http://x'}\n", badName),
        Arguments.of("name: 'has space'\nhttp: {url: 'http://x'}\n", badName),
        Arguments.of("name: " + "a".repeat(129) + "\nhttp: {url: 'http://x'}\n", badName),
        Arguments.of("name: t\n", "tool (t).http is required"),
        Arguments.of("name: t\nhttp: {method: TRACE, url: 'http://x'}\n",
            "tool (t).http.method must be one of GET, POST, PUT, PATCH, DELETE"),
        Arguments.of("name: t\nhttp: {method: GET}\n", "tool (t).http.url is required"),
        Arguments.of("name: t\nhttp: {url: '  '}\n", "tool (t).http.url is required"),
        Arguments.of("name: t\nhttp: {url: 'ftp://x/y'}\n", notAbsolute),
        Arguments.of("name: t\nhttp: {url: '/relative'}\n", notAbsolute),
        Arguments.of("name: t\nhttp: {url: 'http:///x'}\n", "tool (t).http.url has no host"),
        Arguments.of("name: t\nhttp: {url: 'http://x y'}\n",
            "tool (t).http.url is not a URL: Illegal character in authority at index 7: http://x y"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {Host: y}}\n",
            "tool (t).http.headers 'Host' is not a header Gatehouse lets a tool set"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {idempotency-KEY: y}}\n",
            "tool (t).http.headers 'idempotency-KEY' is not a header Gatehouse lets a tool set"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {'X Y': y}}\n",
            "tool (t).http.headers 'X Y' is not a header Gatehouse lets a tool set"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {X-Key: '{{secret:}}'}}\n",
            "tool (t).http.headers.X-Key has a malformed {{secret:NAME}} reference"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {X-Key: }}\n",
            "tool (t).http.headers.X-Key has a malformed {{secret:NAME}} reference"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {X-A: \"v\\r\\nInjected: 1\"}}\n",
            "tool (t).http.headers.X-A has a control character (a header value is one line of text)"),
        Arguments.of("name: t\nhttp: {url: 'http://x'}\ninputSchema: " + "{properties: {a: ".repeat(33) + "{type: string}" + "}}".repeat(33) + "\n",
            "tool (t).inputSchema is nested more than 64 levels deep"),
        Arguments.of("name: t\nhttp: {url: 'https://bot:pass123@x.example/{id}'}\n",
            "tool (t).http.url must not carry credentials (user:password@); take them from a secret in a header"),
        // A credential is never written in the registry: the header must take it from a secret.
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {Authorization: 'Bearer sk-live-123'}}\n",
            "tool (t).http.headers.Authorization carries a credential, so it must take it from a secret, as \"Bearer {{secret:NAME}}\" (secrets are never written in the registry)"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {x-API-key: abc123}}\n",
            "tool (t).http.headers.x-API-key carries a credential, so it must take it from a secret, as \"Bearer {{secret:NAME}}\" (secrets are never written in the registry)"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {Cookie: 'session=abc'}}\n",
            "tool (t).http.headers.Cookie carries a credential, so it must take it from a secret, as \"Bearer {{secret:NAME}}\" (secrets are never written in the registry)"),
        Arguments.of(T + "inputSchema: [1]\n", "tool (t).inputSchema must be a JSON Schema object"),
        Arguments.of(T + "inputSchema: string\n", "tool (t).inputSchema must be a JSON Schema object"),
        Arguments.of(T + "timeout: fast\n", "tool (t).timeout 'fast' is not a duration (write it like 200ms, 5s, 2m, 1h or 1d)"),
        Arguments.of(T + "timeout: 0s\n", timeout),
        Arguments.of(T + "timeout: 11m\n", timeout),
        Arguments.of(T + "retry: {maxAttempts: 0}\n", "tool (t).retry.maxAttempts must be between 1 and 100"),
        Arguments.of(T + "retry: {maxAttempts: 101}\n", "tool (t).retry.maxAttempts must be between 1 and 100"),
        Arguments.of(T + "retry: {backoff: 0.5}\n", "tool (t).retry.backoff must be between 1.0 and 10.0"),
        Arguments.of(T + "retry: {backoff: 10.5}\n", "tool (t).retry.backoff must be between 1.0 and 10.0"),
        Arguments.of(T + "retry: {initialInterval: soon}\n",
            "tool (t).retry.initialInterval 'soon' is not a duration (write it like 200ms, 5s, 2m, 1h or 1d)"),
        Arguments.of(T + "retry: {maxInterval: 5 minutes}\n",
            "tool (t).retry.maxInterval '5 minutes' is not a duration (write it like 200ms, 5s, 2m, 1h or 1d)"),
        Arguments.of(T + "auth: {type: basic}\n", "tool (t).auth.type must be none or oauth2-client-credentials"),
        Arguments.of(T + "auth: {type: oauth2-client-credentials, clientId: c, clientSecret: '{{secret:s}}'}\n",
            "tool (t).auth.tokenUrl is required"),
        Arguments.of(T + "auth: {type: oauth2-client-credentials, tokenUrl: 'http://x/t', clientSecret: '{{secret:s}}'}\n",
            "tool (t).auth.clientId is required"),
        Arguments.of(T + "auth: {type: oauth2-client-credentials, tokenUrl: 'http://x/t', clientId: c, clientSecret: literal}\n",
            "tool (t).auth.clientSecret must name a secret as {{secret:NAME}} (secrets are never written in the registry)"),
        // Sizes: every field an admin writes is bounded (found unbounded by an audit: a 400 KB
        // description, a 200 KB URL, 3,000 headers, a null scope that answered 500).
        Arguments.of("name: t\nhttp: {url: 'http://127.0.0.1:99999/x'}\n", "tool (t).http.url has a port outside 1-65535"),
        Arguments.of("name: t\nhttp: {url: 'http://x:0/x'}\n", "tool (t).http.url has a port outside 1-65535"),
        Arguments.of(T + "description: " + "d".repeat(8193) + "\n", "tool (t).description must be at most 8192 characters"),
        Arguments.of("name: t\nhttp: {url: 'http://x/" + "p".repeat(2040) + "'}\n", "tool (t).http.url must be at most 2048 characters"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {" + headers(65) + "}}\n", "tool (t).http.headers sets more than 64 headers"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {X-A: " + "v".repeat(8193) + "}}\n",
            "tool (t).http.headers.X-A is longer than 8192 characters"),
        Arguments.of("name: t\nhttp: {url: 'http://x', headers: {" + "H".repeat(100) + ": v}}\n",
            "tool (t).http.headers '" + "H".repeat(64) + "...' is not a header Gatehouse lets a tool set"),
        Arguments.of(T + AUTH + "clientId: " + "c".repeat(257) + "}\n",
            "tool (t).auth.clientId must be at most 256 characters, without control characters"),
        Arguments.of(T + AUTH + "clientId: c, scopes: [~]}\n", SCOPE0),
        Arguments.of(T + AUTH + "clientId: c, scopes: ['']}\n", SCOPE0),
        Arguments.of(T + AUTH + "clientId: c, scopes: ['two words']}\n", SCOPE0),
        Arguments.of(T + AUTH + "clientId: c, scopes: [" + "s".repeat(257) + "]}\n", SCOPE0),
        Arguments.of(T + AUTH + "clientId: c, scopes: [" + "s,".repeat(65) + "]}\n", "tool (t).auth.scopes holds more than 64 scopes"));
  }

  private static final String AUTH = "auth: {type: oauth2-client-credentials, tokenUrl: 'http://x/t', clientSecret: '{{secret:s}}', ";
  private static final String SCOPE0 =
      "tool (t).auth.scopes[0] must be an OAuth scope: 1-256 printable ASCII characters, without spaces, '\"' or '\\'";

  private static String headers(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ", ").append("X-H").append(i).append(": v");
    }
    return b.toString();
  }

  @Test
  void fieldsAtTheirBoundsAreAccepted() {
    ToolDefinition t =
        check("name: t\ndescription: " + "d".repeat(8192) + "\nhttp: {url: 'http://x/" + "p".repeat(2048 - 9) + "', headers: {"
            + headers(64) + "}}\n" + AUTH + "clientId: " + "c".repeat(256) + ", scopes: [" + "s,".repeat(63) + "'" + "s".repeat(256) + "']}\n");
    assertThat(t.description()).hasSize(8192);
    assertThat(t.http().url()).hasSize(2048);
    assertThat(t.http().headers()).hasSize(64);
    assertThat(t.auth().scopes()).hasSize(64);
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
