package dev.gatehouse.frontend.fuzz;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.RawHttp;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.util.Duration;
import java.net.URI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A body promised by its Content-Length that never comes: once the connector's idle timeout runs
 * out on the read, every face answers 408 request_timeout in its own shape (it was a 400 with
 * malformed_body or invalid_request). The idle timeout is a second here, to keep the test short.
 */
class StalledBodyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start(c -> ((DefaultServerFactory) c.getServerFactory()).getApplicationConnectors()
        .forEach(f -> ((HttpConnectorFactory) f).setIdleTimeout(Duration.seconds(1))));
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/mcp", "/v1/tasks", "/v1/chat/completions", "/v1/messages"})
  void aBodyThatNeverComesIs408(String path) throws Exception {
    String[] headers =
        ProtocolRefusalsTest.keepAliveHeaders(KEY_A, path.equals("/mcp") ? McpWire.initialize(gh.api() + "/mcp", KEY_A) : null, 4000);
    try (RawHttp.Connection c = new RawHttp.Connection(URI.create(gh.api()).getPort(), 30_000)) {
      assertThat(c.send(RawHttp.request("POST " + path + " HTTP/1.1", null, headers))).isTrue();
      RawHttp.Answer a = c.read();
      assertThat(a.answered()).as(a.failure()).isTrue();
      assertThat(a.status()).as(a.bodyText()).isEqualTo(408);
      JsonNode error = JSON.readTree(a.body()).path("error");
      assertThat(path.equals("/mcp") ? error.path("data").path("code").asText() : error.path("code").asText())
          .as(a.bodyText())
          .isEqualTo("request_timeout");
    }
  }
}
