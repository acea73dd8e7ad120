package dev.gatehouse.frontend.app.dev;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dev mode's demo model (a fake OpenAI-compatible provider served by Gatehouse itself) keeps to a
 * request's {@code max_tokens}, counted in words, as a model keeps to it in tokens: what it
 * writes, the usage it reports and so what the gateway meters never exceed the bound the agent
 * set. Over real HTTP on loopback, directly and through the model gateway.
 */
class DemoModelTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start(c -> c.setDemoTools(true));
    gh.fakeModel("dm-echo", gh.api() + "/demo/llm/v1");
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  private static String request(String bounds, boolean stream) {
    return "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}]" + bounds
        + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
  }

  private static JsonNode demo(String body) {
    HttpResponse<String> r = gh.post("/demo/llm/v1/chat/completions", null, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r);
  }

  /**
   * A conversation past a megabyte (Claude Code sends the whole of it every turn) is answered as
   * a provider answers it: the demo took at most 1 MiB, so the gateway's request was cut off
   * mid-body, the call failed as the provider's fault and the demo provider was cooled down for
   * every later call.
   */
  @Test
  void aConversationPastAMegabyteIsAnsweredAndTheDemoStaysUp() {
    String earlier = "x".repeat(100_000);
    StringBuilder body = new StringBuilder("{\"model\":\"dm-echo\",\"messages\":[");
    for (int i = 0; i < 20; i++) {
      body.append("{\"role\":\"user\",\"content\":\"").append(earlier).append("\"},{\"role\":\"assistant\",\"content\":\"ok\"},");
    }
    body.append("{\"role\":\"user\",\"content\":\"the last words\"}]}");

    for (int call = 0; call < 2; call++) {
      HttpResponse<String> r = gh.post("/v1/chat/completions", KEY_A, body.toString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(json(r).at("/choices/0/message/content").asText()).isEqualTo("You said: the last words");
    }
  }

  /**
   * The demo has embeddings too, so an SDK's embeddings example works in dev mode: through the
   * gateway it was a 502 blaming the provider. The same text has the same unit vector.
   */
  @Test
  void embeddingsThroughTheGatewayAreDeterministicUnitVectors() {
    HttpResponse<String> r =
        gh.post("/v1/embeddings", KEY_A, "{\"model\":\"dm-echo\",\"input\":[\"one two\",\"three\",\"one two\"],\"dimensions\":8}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode answer = json(r);
    assertThat(answer.path("data")).hasSize(3);
    List<Double> first = new ArrayList<>();
    double norm = 0;
    for (JsonNode x : answer.at("/data/0/embedding")) {
      first.add(x.asDouble());
      norm += x.asDouble() * x.asDouble();
    }
    assertThat(first).hasSize(8);
    assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(answer.at("/data/2/embedding")).isEqualTo(answer.at("/data/0/embedding"));
    assertThat(answer.at("/data/1/embedding")).isNotEqualTo(answer.at("/data/0/embedding"));
    assertThat(answer.at("/data/1/index").asInt()).isEqualTo(1);
    assertThat(answer.at("/usage/prompt_tokens").asLong()).isEqualTo(5);

    // As OpenAI's SDKs ask for it by default: little-endian float32s in base64, the same vector.
    JsonNode encoded = json(gh.post("/v1/embeddings", KEY_A, "{\"model\":\"dm-echo\",\"input\":\"one two\",\"dimensions\":8,\"encoding_format\":\"base64\"}"));
    java.nio.ByteBuffer floats =
        java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder().decode(encoded.at("/data/0/embedding").asText())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    assertThat(floats.remaining()).isEqualTo(8 * 4);
    for (double x : first) {
      assertThat((double) floats.getFloat()).isCloseTo(x, org.assertj.core.data.Offset.offset(1e-6));
    }

    HttpResponse<String> bad = gh.post("/demo/llm/v1/embeddings", null, "{\"model\":\"echo\",\"input\":[1,2]}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).at("/error/code").asText()).isEqualTo("invalid_request");
  }

  @Test
  void anAnswerLongerThanMaxTokensIsCutThereAndSaysSo() {
    // "You said: one two three four" is six words.
    JsonNode cut = demo(request(",\"max_tokens\":4", false));
    assertThat(cut.at("/choices/0/message/content").asText()).isEqualTo("You said: one two");
    assertThat(cut.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(cut.at("/usage/completion_tokens").asLong()).isEqualTo(4);

    JsonNode exact = demo(request(",\"max_tokens\":6", false));
    assertThat(exact.at("/choices/0/message/content").asText()).isEqualTo("You said: one two three four");
    assertThat(exact.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(exact.at("/usage/completion_tokens").asLong()).isEqualTo(6);

    JsonNode unbounded = demo(request("", false));
    assertThat(unbounded.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(unbounded.at("/usage/completion_tokens").asLong()).isEqualTo(6);
  }

  @Test
  void maxCompletionTokensComesBeforeMaxTokens() {
    JsonNode r = demo(request(",\"max_completion_tokens\":3,\"max_tokens\":5", false));
    assertThat(r.at("/choices/0/message/content").asText()).isEqualTo("You said: one");
    assertThat(r.at("/usage/completion_tokens").asLong()).isEqualTo(3);
  }

  @Test
  void aStreamStopsAtMaxTokensToo() throws Exception {
    HttpResponse<String> r = gh.post("/demo/llm/v1/chat/completions", null, request(",\"max_tokens\":3", true));
    assertThat(r.statusCode()).isEqualTo(200);
    StringBuilder text = new StringBuilder();
    List<String> finishes = new ArrayList<>();
    long completion = -1;
    for (String line : r.body().split("\n")) {
      if (!line.startsWith("data: {")) {
        continue;
      }
      JsonNode chunk = JSON.readTree(line.substring("data: ".length()));
      for (JsonNode choice : chunk.path("choices")) {
        text.append(choice.path("delta").path("content").asText(""));
        if (!choice.path("finish_reason").isNull()) {
          finishes.add(choice.path("finish_reason").asText());
        }
      }
      if (chunk.has("usage")) {
        completion = chunk.at("/usage/completion_tokens").asLong();
      }
    }
    assertThat(text.toString()).isEqualTo("You said: one");
    assertThat(finishes).containsExactly("length");
    assertThat(completion).isEqualTo(3);
    assertThat(r.body()).endsWith("data: [DONE]\n\n");
  }

  @Test
  void throughTheGatewayTheAgentGetsTheCutAnswerAndItsUsage() {
    HttpResponse<String> r =
        gh.post("/v1/chat/completions", KEY_A,
            "{\"model\":\"dm-echo\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode answer = json(r);
    assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo("You said:");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(answer.at("/usage/completion_tokens").asLong()).isEqualTo(2);
  }
}
