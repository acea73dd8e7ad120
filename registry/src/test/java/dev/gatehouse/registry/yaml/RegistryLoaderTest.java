package dev.gatehouse.registry.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
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
    return RegistryLoader.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
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
    assertThat(notes.timeout()).isEqualTo(RegistryLoader.DEFAULT_TIMEOUT);
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

  @Test
  void applyingTwiceChangesNothingTheSecondTime() {
    try (TestDatabase db = TestDatabase.create()) {
      var jdbi = db.jdbi();
      assertThat(RegistryLoader.apply(jdbi, parse(FILE))).isEqualTo(new RegistryLoader.ApplyResult(2, 2));
      assertThat(RegistryLoader.apply(jdbi, parse(FILE))).isEqualTo(new RegistryLoader.ApplyResult(2, 0));
      String changed = FILE.replace("timeout: 5s", "timeout: 7s");
      assertThat(RegistryLoader.apply(jdbi, parse(changed))).isEqualTo(new RegistryLoader.ApplyResult(2, 1));
      ToolDao dao = jdbi.onDemand(ToolDao.class);
      assertThat(dao.find("weather.lookup").orElseThrow().timeout()).isEqualTo(Duration.ofSeconds(7));
      assertThat(dao.list()).extracting(ToolDefinition::name).containsExactly("notes.save", "weather.lookup");
      assertThat(dao.find("missing")).isEmpty();
    }
  }
}
