package dev.gatehouse.frontend.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fake provider answers as scripted, in both protocols, and fails as scripted. */
class FakeProviderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private FakeProvider fake;

  @BeforeEach
  void start() throws IOException {
    fake = new FakeProvider();
  }

  @AfterEach
  void stop() {
    fake.close();
  }

  private HttpResponse<String> post(String url, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The {@code data:} payloads of an SSE body, in order. */
  private static List<String> data(String sse) {
    return sse.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
  }

  @Test
  void openaiNonStreamAnswersTheScriptAndRecordsTheRequest() throws Exception {
    fake.script(Reply.toolCall("call_1", "get_weather", "{\"city\":\"Paris\"}").withUsage(42, 7).withDetails(10, 3));
    HttpResponse<String> r = post(fake.openaiBase() + "/chat/completions",
        "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":5}",
        "Authorization", "Bearer sk-provider");

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.at("/model").asText()).isEqualTo("m1");
    assertThat(body.at("/choices/0/message/content").isNull()).isTrue();
    assertThat(body.at("/choices/0/message/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
    assertThat(body.at("/choices/0/message/tool_calls/0/function/arguments").asText()).isEqualTo("{\"city\":\"Paris\"}");
    assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(42);
    assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(7);
    assertThat(body.at("/usage/prompt_tokens_details/cached_tokens").asInt()).isEqualTo(10);
    assertThat(body.at("/usage/completion_tokens_details/reasoning_tokens").asInt()).isEqualTo(3);

    FakeProvider.Request seen = fake.last();
    assertThat(seen.path()).isEqualTo("/v1/chat/completions");
    assertThat(seen.header("authorization")).isEqualTo("Bearer sk-provider");
    assertThat(seen.json().path("seed").asInt()).isEqualTo(5);
    assertThat(seen.model()).isEqualTo("m1");
    assertThat(fake.awaitCompleted(1, java.time.Duration.ofSeconds(5))).isTrue();
    assertThat(fake.completed()).isEqualTo(1);
  }

  @Test
  void openaiStreamCarriesFragmentsAndTheUsageChunkOnlyWhenAsked() throws Exception {
    fake.script(Reply.text("Hello there, streaming world").withToolCall("call_9", "lookup", "{\"q\":\"abc\",\"n\":2}")
        .withFragments(4).withUsage(20, 9));
    String request = "{\"model\":\"m\",\"stream\":true,\"messages\":[]%s}";

    List<String> without = data(post(fake.openaiBase() + "/chat/completions", String.format(request, "")).body());
    assertThat(without.get(without.size() - 1)).isEqualTo("[DONE]");
    assertThat(without).noneMatch(d -> d.contains("\"prompt_tokens\""));

    List<String> with = data(post(fake.openaiBase() + "/chat/completions",
        String.format(request, ",\"stream_options\":{\"include_usage\":true}")).body());
    JsonNode usage = JSON.readTree(with.get(with.size() - 2));
    assertThat(usage.path("choices").size()).isZero();
    assertThat(usage.at("/usage/prompt_tokens").asInt()).isEqualTo(20);
    assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(9);

    StringBuilder text = new StringBuilder();
    StringBuilder arguments = new StringBuilder();
    int argumentChunks = 0;
    String finish = null;
    for (String d : without.subList(0, without.size() - 1)) {
      JsonNode delta = JSON.readTree(d).at("/choices/0/delta");
      text.append(delta.path("content").asText(""));
      JsonNode call = delta.path("tool_calls").path(0);
      if (call.at("/function/arguments").asText("").length() > 0) {
        arguments.append(call.at("/function/arguments").asText());
        argumentChunks++;
      }
      JsonNode f = JSON.readTree(d).at("/choices/0/finish_reason");
      if (!f.isNull() && !f.isMissingNode()) {
        finish = f.asText();
      }
    }
    assertThat(text.toString()).isEqualTo("Hello there, streaming world");
    assertThat(arguments.toString()).isEqualTo("{\"q\":\"abc\",\"n\":2}");
    assertThat(argumentChunks).isEqualTo(4);
    assertThat(finish).isEqualTo("tool_calls");
  }

  @Test
  void anthropicMessagesNonStreamAndStreamWithToolUse() throws Exception {
    fake.script(Reply.text("Let me look.").withToolCall("toolu_1", "lookup", "{\"q\":\"x\"}").withUsage(30, 6).withDetails(5, 0));
    HttpResponse<String> plain = post(fake.anthropicBase() + "/v1/messages",
        "{\"model\":\"claude-x\",\"max_tokens\":100,\"messages\":[]}", "x-api-key", "sk-ant-provider");
    JsonNode body = JSON.readTree(plain.body());
    assertThat(body.path("type").asText()).isEqualTo("message");
    assertThat(body.at("/content/0/text").asText()).isEqualTo("Let me look.");
    assertThat(body.at("/content/1/type").asText()).isEqualTo("tool_use");
    assertThat(body.at("/content/1/input/q").asText()).isEqualTo("x");
    assertThat(body.path("stop_reason").asText()).isEqualTo("tool_use");
    assertThat(body.at("/usage/input_tokens").asInt()).isEqualTo(25);
    assertThat(body.at("/usage/cache_read_input_tokens").asInt()).isEqualTo(5);
    assertThat(fake.last().header("x-api-key")).isEqualTo("sk-ant-provider");

    String sse = post(fake.anthropicBase() + "/v1/messages",
        "{\"model\":\"claude-x\",\"max_tokens\":100,\"stream\":true,\"messages\":[]}").body();
    List<String> names = sse.lines().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7)).toList();
    assertThat(names.get(0)).isEqualTo("message_start");
    assertThat(names.get(names.size() - 1)).isEqualTo("message_stop");
    StringBuilder json = new StringBuilder();
    for (String d : data(sse)) {
      JsonNode delta = JSON.readTree(d).path("delta");
      if (delta.path("type").asText().equals("input_json_delta")) {
        json.append(delta.path("partial_json").asText());
      }
    }
    assertThat(JSON.readTree(json.toString()).path("q").asText()).isEqualTo("x");
    assertThat(sse).contains("\"stop_reason\":\"tool_use\"").contains("\"output_tokens\":6");
  }

  @Test
  void statusRepliesUseEachProtocolsErrorShapeAndRetryAfter() throws Exception {
    fake.script(Reply.status(429).withRetryAfter("2"));
    HttpResponse<String> openai = post(fake.openaiBase() + "/chat/completions", "{\"model\":\"m\"}");
    assertThat(openai.statusCode()).isEqualTo(429);
    assertThat(openai.headers().firstValue("retry-after")).hasValue("2");
    assertThat(JSON.readTree(openai.body()).at("/error/type").asText()).isEqualTo("rate_limit_error");

    HttpResponse<String> anthropic = post(fake.anthropicBase() + "/v1/messages", "{\"model\":\"m\"}");
    assertThat(anthropic.statusCode()).isEqualTo(429);
    assertThat(JSON.readTree(anthropic.body()).path("type").asText()).isEqualTo("error");
    assertThat(JSON.readTree(anthropic.body()).at("/error/type").asText()).isEqualTo("rate_limit_error");
  }

  @Test
  void queuesComeBeforeScriptsAndModelsBeforeTheDefault() throws Exception {
    fake.script(Reply.text("default")).script("special", Reply.text("special"))
        .enqueue(Reply.status(500), Reply.status(503)).enqueue("special", Reply.text("queued for special"));
    String url = fake.openaiBase() + "/chat/completions";
    assertThat(post(url, "{\"model\":\"special\"}").body()).contains("queued for special");
    assertThat(post(url, "{\"model\":\"special\"}").statusCode()).isEqualTo(500);
    assertThat(post(url, "{\"model\":\"other\"}").statusCode()).isEqualTo(503);
    assertThat(post(url, "{\"model\":\"special\"}").body()).contains("\"content\":\"special\"");
    assertThat(post(url, "{\"model\":\"other\"}").body()).contains("\"content\":\"default\"");
    assertThat(fake.requests("/v1/chat/completions")).hasSize(5);
  }

  @Test
  void aHangIsNoticedWhenTheClientGivesUp() {
    fake.script(Reply.hang());
    HttpRequest request = HttpRequest.newBuilder(URI.create(fake.openaiBase() + "/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\"}")).timeout(Duration.ofMillis(300)).build();
    assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);
    assertThat(fake.awaitClientClosed(1, Duration.ofSeconds(5))).isTrue();
    assertThat(fake.completed()).isZero();
  }

  @Test
  void aStreamResetAfterSomeEventsFailsTheReader() throws Exception {
    fake.script(Reply.resetAfter(2));
    HttpRequest request = HttpRequest.newBuilder(URI.create(fake.openaiBase() + "/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"stream\":true}")).build();
    List<String> lines = new ArrayList<>();
    int[] status = {0};
    // The reset comes after the headers: while the body is read, or (the JDK client reads ahead)
    // before send() has handed the response over. Either way the reader fails.
    assertThatThrownBy(
            () -> {
              HttpResponse<Stream<String>> r = http.send(request, HttpResponse.BodyHandlers.ofLines());
              status[0] = r.statusCode();
              r.body().forEach(lines::add);
            })
        .satisfiesAnyOf(
            e -> assertThat(e).isInstanceOf(IOException.class), e -> assertThat(e).hasRootCauseInstanceOf(IOException.class));
    assertThat(status[0]).as("no answer, or the stream's 200").isIn(0, 200);
    assertThat(lines.stream().filter(l -> l.startsWith("data: ")).count()).isLessThanOrEqualTo(2);
  }

  @Test
  void aClientThatLeavesAPacedStreamIsCounted() throws Exception {
    fake.script(Reply.text("a".repeat(40)).withFragments(40).withChunkDelay(Duration.ofMillis(20)));
    byte[] body = "{\"model\":\"m\",\"stream\":true}".getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", fake.port()));
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
          + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
        // headers and the first chunk size
      }
      assertThat(line).startsWith("data: ");
    }
    assertThat(fake.awaitClientClosed(1, Duration.ofSeconds(5))).isTrue();
    assertThat(fake.completed()).isZero();
  }

  @Test
  void malformedEmbeddingsAndModels() throws Exception {
    fake.enqueue(Reply.malformed());
    HttpResponse<String> broken = post(fake.openaiBase() + "/chat/completions", "{\"model\":\"m\"}");
    assertThat(broken.statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> JSON.readTree(broken.body())).isInstanceOf(IOException.class);

    JsonNode floats = JSON.readTree(post(fake.openaiBase() + "/embeddings", "{\"model\":\"e\",\"input\":[\"a\",\"b\"]}").body());
    assertThat(floats.path("data").size()).isEqualTo(2);
    assertThat(floats.at("/data/0/embedding").size()).isEqualTo(8);
    JsonNode base64 = JSON.readTree(post(fake.openaiBase() + "/embeddings",
        "{\"model\":\"e\",\"input\":\"a\",\"encoding_format\":\"base64\"}").body());
    assertThat(base64.at("/data/0/embedding").isTextual()).isTrue();

    fake.models("m1", "m2");
    HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(fake.openaiBase() + "/models")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(models.body()).at("/data/1/id").asText()).isEqualTo("m2");
  }
}
