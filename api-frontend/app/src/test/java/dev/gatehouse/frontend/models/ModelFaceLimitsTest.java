package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.models.FaceClient.anthropicError;
import static dev.gatehouse.frontend.models.FaceClient.bearer;
import static dev.gatehouse.frontend.models.FaceClient.json;
import static dev.gatehouse.frontend.models.FaceClient.openAiError;
import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.models.ModelFacesEndToEndTest.Raw;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.LingerAfterAnswer;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model faces at their limits: one direct call at a time ({@code admission.maxDirectCalls:
 * 1}), so a second call while a stream runs is 429 {@code overloaded} in each SDK's shape, and a
 * call whose answer has gone out no longer holds the slot; and a connection idle timeout (1 s)
 * shorter than the provider takes to answer, which a non-streamed call must outlive.
 */
class ModelFaceLimitsTest {
  static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16%s}";
  static TestGatehouse gh;
  /** How long the provider model {@code sleepy} takes to answer: longer than the idle timeout. */
  static final Duration SLEEPY = Duration.ofMillis(2_500);
  static FakeProvider fake;
  static FaceClient client;
  static final LingerAfterAnswer LINGER = new LingerAfterAnswer();

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start(
        c -> {
          c.getAdmission().setMaxDirectCalls(1);
          HttpConnectorFactory connector = (HttpConnectorFactory) ((DefaultServerFactory) c.getServerFactory()).getApplicationConnectors().get(0);
          connector.setIdleTimeout(io.dropwizard.util.Duration.seconds(1));
        },
        env -> LINGER.install(env, "/v1/chat/completions"));
    fake = ModelFacesEndToEndTest.fakeProvider(SLEEPY);
    client = new FaceClient(gh.api());
    ModelFacesEndToEndTest.created(
        gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"fake-openai\",\"type\":\"openai\",\"baseUrl\":\"" + fake.openaiBase() + "\",\"timeout\":\"10s\"}"), 201);
    for (String[] m : new String[][] {{"limits-gpt", "fake-gpt"}, {"limits-slow", "slow"}, {"limits-sleepy", "sleepy"}}) {
      ModelFacesEndToEndTest.created(gh.post("/admin/v1/models", ADMIN_KEY,
          "{\"name\":\"" + m[0] + "\",\"targets\":[{\"provider\":\"fake-openai\",\"model\":\"" + m[1] + "\"}]}"), 201);
    }
  }

  @AfterAll
  static void stop() {
    try {
      if (gh != null) {
        gh.close();
      }
    } finally {
      if (fake != null) {
        fake.close();
      }
    }
  }

  @Test
  void aCallPastTheDirectCallLimitIs429OverloadedAndTheSlotComesBackWhenTheStreamEnds() throws Exception {
    try (Raw running = Raw.post(gh.api(), "/v1/chat/completions", CHAT.formatted("limits-slow", ",\"stream\":true"), "Authorization", "Bearer " + KEY_A)) {
      assertThat(running.head).startsWith("HTTP/1.1 200");
      running.readUntil("data: ");
      HttpResponse<String> second = client.post("/v1/chat/completions", CHAT.formatted("limits-gpt", ""), bearer(KEY_A));
      JsonNode error = openAiError(second, 429, "overloaded");
      assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");
      assertThat(second.headers().firstValue("Retry-After")).isPresent();
      HttpResponse<String> anthropic = client.post("/v1/messages", CHAT.formatted("limits-gpt", ""), "x-api-key", KEY_A);
      assertThat(anthropicError(anthropic, 429, "overloaded").get("type").asText()).isEqualTo("overloaded_error");
      // Listing models starts no call: it is not counted.
      assertThat(client.send(client.request("/v1/models", bearer(KEY_A))).statusCode()).isEqualTo(200);
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    HttpResponse<String> after;
    do {
      Thread.sleep(100);
      after = client.post("/v1/chat/completions", CHAT.formatted("limits-gpt", ""), bearer(KEY_A));
    } while (after.statusCode() == 429 && System.nanoTime() < deadline);
    assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
  }

  @Test
  void aCallWhoseAnswerHasGoneOutHoldsNoSlotWhileItsRequestEnds() throws Exception {
    // The first call's answer leaves whole (its Content-Length reached), then its request lingers
    // in the test's filter before it ends. A client that has the answer and sends its next call at
    // once, on a connection of its own, must find the one slot free, not a 429.
    LINGER.reset();
    try {
      HttpResponse<String> first = client.post("/v1/chat/completions", CHAT.formatted("limits-gpt", ""), "Authorization", "Bearer " + KEY_A, LingerAfterAnswer.HEADER, "on");
      assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
      assertThat(LINGER.lingering().await(10, TimeUnit.SECONDS)).as("the first request lingers after its answer").isTrue();
      try (Raw next = Raw.post(gh.api(), "/v1/chat/completions", CHAT.formatted("limits-gpt", ""), "Authorization", "Bearer " + KEY_A)) {
        assertThat(next.head).startsWith("HTTP/1.1 200");
      }
      assertThat(LINGER.ended().getCount()).as("the next call was answered while the first request had not ended").isEqualTo(1);
    } finally {
      // Whatever failed, the first request has ended (and its slot is back) before the next test.
      LINGER.ended().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aNonStreamedCallOutlivesTheConnectionIdleTimeout() throws Exception {
    // The timeout is in force: a connection that sends nothing is closed by the server.
    try (java.net.Socket idle = new java.net.Socket("127.0.0.1", java.net.URI.create(gh.api()).getPort())) {
      idle.setSoTimeout(10_000);
      long opened = System.nanoTime();
      assertThat(idle.getInputStream().read()).isEqualTo(-1);
      assertThat((System.nanoTime() - opened) / 1_000_000).isLessThan(SLEEPY.toMillis());
    }
    long start = System.nanoTime();
    HttpResponse<String> r = client.post("/v1/chat/completions", CHAT.formatted("limits-sleepy", ""), bearer(KEY_A));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(SLEEPY.toMillis());
    assertThat(json(r).get("choices").get(0).get("message").get("content").asText()).isEqualTo("hello from the fake");
  }
}
