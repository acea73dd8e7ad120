package dev.gatehouse.registry.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.registry.tools.ToolDao;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryLoaderTest {
  private static final String FILE =
      """
      tools:
        - name: weather.lookup
          description: Current weather for a city
          http:
            method: get
            url: http://127.0.0.1:9000/weather/{city}
            headers: {Accept: application/json}
          inputSchema: {type: object, properties: {city: {type: string}}, required: [city]}
          timeout: 5s
          retry: {maxAttempts: 3, initialInterval: 200ms, backoff: 2.0}
        - name: notes.save
          http: {method: POST, url: "https://notes.example/api/notes"}
      """;

  static List<ToolDefinition> parse(String yaml) {
    return registry(yaml).tools();
  }

  static Registry registry(String yaml) {
    return RegistryChecker.check(RegistryParser.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void parsesTheDocumentedShapeWithDefaults() {
    List<ToolDefinition> tools = parse(FILE);
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
  void rejectsBadEntriesNamingTheField() {
    assertBad("tools:\n  - name: 'bad name'\n    http: {url: 'http://x'}\n", "tools[0].name");
    assertBad("tools:\n  - name: t\n    http: {method: TRACE, url: 'http://x'}\n", "http.method");
    assertBad("tools:\n  - name: t\n    http: {url: 'ftp://x/y'}\n", "http.url");
    assertBad("tools:\n  - name: t\n    http: {url: 'http://x'}\n    timeout: fast\n", ".timeout");
    assertBad("tools:\n  - name: t\n    http: {url: 'http://x'}\n    retry: {maxAttempts: 0}\n", "maxAttempts");
    assertBad("tools:\n  - name: t\n    http: {url: 'http://x'}\n  - name: t\n    http: {url: 'http://y'}\n", "declared twice");
    assertBad("tools:\n  - name: t\n    htp: {url: 'http://x'}\n", "htp");
    assertBad("tools: [\n", "not valid YAML");
  }

  private static void assertBad(String yaml, String mentions) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining(mentions)
        .extracting(e -> ((RegistryException) e).code())
        .isEqualTo("invalid_registry");
  }

  private static final String TENANTS =
      FILE
          + """
          tenants:
            - name: acme
              agents:
                - name: planner
                  subject: svc-planner
                  tools: {allow: ["weather.*", "acme.*"], deny: ["weather.admin"]}
                  workflows: {allow: [pipeline]}
              identityProviders:
                - name: corp
                  issuer: https://login.acme.example
                  audience: gatehouse
                  jwksUrl: https://login.acme.example/jwks
                  algorithms: [RS256, ES256]
              tools:
                - name: acme.crm
                  http: {url: "https://crm.acme.example/customers/{id}", headers: {Authorization: "Bearer {{secret:crm-token}}"}}
                  auth: {type: none}
                - name: acme.billing
                  http: {method: POST, url: "https://billing.acme.example/charge"}
                  auth: {type: oauth2-client-credentials, tokenUrl: "https://login.acme.example/token", clientId: gatehouse, clientSecret: "{{secret:billing-client}}", scopes: [charge]}
          """;

  @Test
  void aWholeRegistryAppliesIdempotentlyAndExportsBackToTheSameRegistry() {
    try (TestDatabase db = TestDatabase.create(); TestDatabase copy = TestDatabase.create()) {
      Registry registry = registry(TENANTS);
      RegistryApplier.ApplyResult first = RegistryApplier.apply(db.jdbi(), registry);
      assertThat(first).isEqualTo(new RegistryApplier.ApplyResult(1, 1, 1, 4, 0, 0, 1 + 1 + 1 + 4));
      assertThat(RegistryApplier.apply(db.jdbi(), registry).changed()).isZero();

      String exported = RegistryExporter.toYaml(RegistryExporter.export(db.jdbi()));
      assertThat(exported).contains("name: acme").contains("svc-planner").contains("{{secret:crm-token}}").contains("timeout: 5s");
      // Applying the export elsewhere gives the same registry, and re-applying it changes nothing.
      RegistryApplier.apply(copy.jdbi(), registry(exported));
      assertThat(RegistryExporter.toYaml(RegistryExporter.export(copy.jdbi()))).isEqualTo(exported);
      assertThat(RegistryApplier.apply(db.jdbi(), registry(exported)).changed()).isZero();

      var crm = db.jdbi().onDemand(ToolDao.class).find("acme.crm").orElseThrow();
      assertThat(crm.tenantId()).startsWith("ten_");
      assertThat(db.jdbi().onDemand(ToolDao.class).find("weather.lookup").orElseThrow().tenantId()).isNull();
    }
  }

  @Test
  void badTenantEntriesAreRejected() {
    assertBad("tenants:\n  - name: a\n    agents: [{name: x, tools: {allow: ['no spaces']}}]\n", "tenants[0].agents[0]");
    assertBad("tenants:\n  - name: a\n    identityProviders: [{name: i, issuer: 'https://x', audience: a, jwksUrl: 'https://x/j', algorithms: [HS256]}]\n", "HS256");
    assertBad("tenants:\n  - name: a\n  - name: a\n", "declared twice");
    assertBad("tools:\n  - name: t\n    http: {url: 'http://x'}\n    auth: {type: oauth2-client-credentials, tokenUrl: 'http://x/t', clientId: c, clientSecret: literal}\n", "clientSecret");
  }

  @Test
  void applyingTwiceChangesNothingTheSecondTime() {
    try (TestDatabase db = TestDatabase.create()) {
      var jdbi = db.jdbi();
      assertThat(RegistryApplier.apply(jdbi, registry(FILE)).changed()).isEqualTo(2);
      assertThat(RegistryApplier.apply(jdbi, registry(FILE)).changed()).isZero();
      String changed = FILE.replace("timeout: 5s", "timeout: 7s");
      assertThat(RegistryApplier.apply(jdbi, registry(changed)).changed()).isEqualTo(1);
      ToolDao dao = jdbi.onDemand(ToolDao.class);
      assertThat(dao.find("weather.lookup").orElseThrow().timeout()).isEqualTo(Duration.ofSeconds(7));
      assertThat(dao.list()).extracting(ToolDefinition::name).containsExactly("notes.save", "weather.lookup");
      assertThat(dao.find("missing")).isEmpty();
    }
  }
}
