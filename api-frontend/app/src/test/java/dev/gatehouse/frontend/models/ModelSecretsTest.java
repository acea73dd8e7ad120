package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.models.FaceClient.anthropicError;
import static dev.gatehouse.frontend.models.FaceClient.bearer;
import static dev.gatehouse.frontend.models.FaceClient.openAiError;
import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.frontend.models.ModelFallbackMatrixTest.Face;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A provider's API key never leaves Gatehouse except towards that provider: not in answers (also
 * when the provider repeats the key in an error, before or inside a stream), not in logs, audit
 * rows, usage rows, a task's result, trace or Temporal history. The scan is meaningful because
 * the fake providers are shown to have received the key; and the agent's own key is shown never
 * to have reached a provider.
 */
class ModelSecretsTest {
  static final String PROVIDER_KEY = "sk-mdl-7Hq2Vx9Lp4Rt6Wz8Nc3Bk5Jf1Ds0Ga";
  /** Half the key: a cut-off key is still a leak. */
  static final String KEY_HALF = PROVIDER_KEY.substring(0, PROVIDER_KEY.length() / 2);
  static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16%s}";

  static TestGatehouse gh;
  static FaceClient client;
  static FakeProvider fake;
  static FakeErrorStreamProvider errorStreams;
  static ListAppender<ILoggingEvent> logs;
  /** Everything Gatehouse answered, to scan. */
  static final List<String> answers = new CopyOnWriteArrayList<>();
  /** The model calls made, each of which writes a usage row. */
  static final AtomicInteger calls = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    // Failing providers must stay in rotation for every call here.
    gh = TestGatehouse.start(c -> c.getModels().setCoolDownAfter(1000));
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    // Gatehouse's own debug lines are scanned too.
    ((Logger) LoggerFactory.getLogger("dev.gatehouse")).setLevel(Level.DEBUG);
    client = new FaceClient(gh.api());
    fake = new FakeProvider();
    errorStreams = new FakeErrorStreamProvider();

    ok(gh.put("/admin/v1/secrets/MODEL_KEY", ADMIN_KEY, "{\"value\":\"" + PROVIDER_KEY + "\"}"), 200);
    provider("sec-openai", "openai", fake.openaiBase());
    provider("sec-anthropic", "anthropic", fake.anthropicBase());
    provider("sec-stream-openai", "openai", errorStreams.base() + "/v1");
    provider("sec-stream-anthropic", "anthropic", errorStreams.base());
    model("sec-gpt", "sec-openai", "gpt");
    model("sec-claude", "sec-anthropic", "claude");
    // Errors that repeat the key: before the answer (each status), and a long one that cuts the key in half.
    for (int status : new int[] {400, 401, 429, 500}) {
      model("sec-echo-" + status, "sec-openai", "echo-" + status);
      fake.script("echo-" + status, Reply.status(status).withErrorBody(openAiErrorBody("the key " + PROVIDER_KEY + " is not valid here")));
      model("sec-echo-claude-" + status, "sec-anthropic", "echo-claude-" + status);
      fake.script("echo-claude-" + status,
          Reply.status(status).withErrorBody("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"bad key: " + PROVIDER_KEY + "\"}}"));
    }
    // A provider that answers 200 and repeats the key (an echoing proxy or mock), the key whole in
    // one stream event.
    model("sec-echo-ok", "sec-openai", "echo-ok");
    fake.script("echo-ok", Reply.text("you sent " + PROVIDER_KEY).withFragments(1));
    model("sec-echo-ok-claude", "sec-anthropic", "echo-ok-claude");
    fake.script("echo-ok-claude", Reply.text("you sent " + PROVIDER_KEY).withFragments(1));
    // ... and the key cut across stream events (nine pieces of the text).
    model("sec-echo-split", "sec-openai", "echo-split");
    fake.script("echo-split", Reply.text("you sent " + PROVIDER_KEY + " back").withFragments(9));
    model("sec-echo-split-claude", "sec-anthropic", "echo-split-claude");
    fake.script("echo-split-claude", Reply.text("you sent " + PROVIDER_KEY + " back").withFragments(9));
    model("sec-echo-cut", "sec-openai", "echo-cut");
    fake.script("echo-cut", Reply.status(400).withErrorBody(openAiErrorBody("x".repeat(480) + " " + PROVIDER_KEY)));
    model("sec-stream-error", "sec-stream-openai", "stream-error");
    model("sec-stream-error-claude", "sec-stream-anthropic", "stream-error");
    fake.script(Reply.text("no secret here").withUsage(12, 4));
  }

  @AfterAll
  static void stop() {
    try {
      ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
      ((Logger) LoggerFactory.getLogger("dev.gatehouse")).setLevel(null);
      gh.close();
    } finally {
      fake.close();
      errorStreams.close();
    }
  }

  @Test
  void theProviderKeyIsSentToTheProviderAndAppearsNowhereElse() throws Exception {
    // Calls that succeed, through both faces, streamed and not, same dialect and translated.
    for (String model : List.of("sec-gpt", "sec-claude")) {
      for (String stream : List.of("", ",\"stream\":true")) {
        assertThat(openAi(model, stream).statusCode()).isEqualTo(200);
        assertThat(anthropic(model, stream).statusCode()).isEqualTo(200);
      }
    }
    // The provider repeats the key in a successful answer: redacted there too, in both dialects,
    // streamed and not, same dialect and translated.
    for (String model : List.of("sec-echo-ok", "sec-echo-ok-claude")) {
      for (String stream : List.of("", ",\"stream\":true")) {
        for (HttpResponse<String> r : List.of(openAi(model, stream), anthropic(model, stream))) {
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          assertThat(r.body()).as(model + stream).contains("you sent [redacted]");
        }
      }
    }
    // Cut across events, the key is still redacted: the text a client puts together has no part of it.
    for (String model : List.of("sec-echo-split", "sec-echo-split-claude")) {
      assertThat(ModelFallbackMatrixTest.text(Face.OPENAI, true, openAi(model, ",\"stream\":true").body())).as(model).isEqualTo("you sent [redacted] back");
      assertThat(ModelFallbackMatrixTest.text(Face.ANTHROPIC, true, anthropic(model, ",\"stream\":true").body())).as(model).isEqualTo("you sent [redacted] back");
    }
    calls.incrementAndGet();
    assertThat(keep(client.post("/v1/embeddings", "{\"model\":\"sec-gpt\",\"input\":\"x\"}", bearer(KEY_A))).statusCode()).isEqualTo(200);

    // The provider repeats the key in its error: the caller gets the provider's message (it helps), the key redacted.
    JsonNode invalid = openAiError(openAi("sec-echo-400", ""), 400, "invalid_request");
    assertThat(invalid.get("message").asText()).contains("the key [redacted] is not valid here");
    anthropicError(anthropic("sec-echo-claude-400", ""), 400, "invalid_request");
    openAiError(openAi("sec-echo-401", ""), 502, "upstream_error");
    anthropicError(anthropic("sec-echo-claude-401", ",\"stream\":true"), 502, "upstream_error");
    JsonNode limited = openAiError(openAi("sec-echo-429", ""), 429, "rate_limited");
    assertThat(limited.get("message").asText()).contains("[redacted]");
    anthropicError(anthropic("sec-echo-claude-429", ""), 429, "rate_limited");
    JsonNode failed = openAiError(openAi("sec-echo-500", ",\"stream\":true"), 503, "upstream_unavailable");
    assertThat(failed.get("message").asText()).contains("[redacted]");
    anthropicError(anthropic("sec-echo-claude-500", ""), 503, "upstream_unavailable");
    openAiError(openAi("sec-echo-cut", ""), 400, "invalid_request");

    // The key inside a stream's error event, after the stream began: the client's stream ends with an error event.
    for (HttpResponse<String> r : List.of(
        openAi("sec-stream-error", ",\"stream\":true"), anthropic("sec-stream-error", ",\"stream\":true"),
        openAi("sec-stream-error-claude", ",\"stream\":true"), anthropic("sec-stream-error-claude", ",\"stream\":true"))) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      // (A text that ends in the key's first letter is held back until the next event shows what follows.)
      StringBuilder text = new StringBuilder();
      List<String[]> events = ModelFallbackMatrixTest.events(r.body());
      for (String[] e : events.subList(0, events.size() - 1)) {
        JsonNode data = ModelFacesEndToEndTest.parse(e[1]);
        data.path("choices").forEach(c -> text.append(c.path("delta").path("content").asText("")));
        text.append(data.path("delta").path("text").asText(""));
      }
      assertThat(text.toString()).as(r.body()).isEqualTo("first words");
      assertThat(ModelFacesEndToEndTest.parse(events.get(events.size() - 1)[1]).has("error")).as("the stream ended with an error event").isTrue();
    }

    // Pipelines: a model step answered, and model steps whose provider repeats the key.
    JsonNode answered = run("sec-gpt");
    assertThat(answered.get("status").asText()).as(answered.toString()).isEqualTo("COMPLETED");
    assertThat(answered.get("result").get("ask").get("content").asText()).isEqualTo("no secret here");
    JsonNode echoed = run("sec-echo-ok");
    assertThat(echoed.get("status").asText()).as(echoed.toString()).isEqualTo("COMPLETED");
    assertThat(echoed.get("result").get("ask").get("content").asText()).isEqualTo("you sent [redacted]");
    for (String model : List.of("sec-echo-400", "sec-echo-500", "sec-echo-claude-401")) {
      JsonNode task = run(model);
      assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("FAILED");
      if (!model.endsWith("401")) {
        assertThat(task.get("trace").toString()).as("the trace says what the provider said").contains("[redacted]");
      }
    }

    // The providers did receive the key (so the scan means something), and never the agent's key.
    assertThat(fake.requests()).hasSizeGreaterThan(10);
    for (FakeProvider.Request r : fake.requests()) {
      String credential = r.path().equals("/v1/messages") ? r.header("x-api-key") : r.header("Authorization");
      assertThat(credential).as(r.path() + " " + r.model()).isIn(PROVIDER_KEY, "Bearer " + PROVIDER_KEY);
      assertThat(r.mentions(KEY_A)).as("the agent's key reached the provider: " + r.headers()).isFalse();
    }
    assertThat(errorStreams.credentials).hasSize(4).allMatch(c -> c.equals(PROVIDER_KEY) || c.equals("Bearer " + PROVIDER_KEY));
    assertThat(errorStreams.sawAgentKey).isFalse();

    // Every place Gatehouse writes to.
    gh.application().audit().flush();
    String usageRows = awaitUsageRows(calls.get());
    String audit = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT audit_log::text FROM audit_log").mapTo(String.class).list()).toString();
    String usageApi = gh.get("/admin/v1/usage/calls?limit=1000", ADMIN_KEY).body() + gh.get("/v1/usage/calls?limit=1000", KEY_A).body();
    String providersApi = gh.get("/admin/v1/providers", ADMIN_KEY).body();
    assertThat(audit).contains("model.call");
    assertThat(usageRows).contains("sec-echo-500");
    assertThat(providersApi).contains("{{secret:MODEL_KEY}}");
    Map<String, String> places = Map.of(
        "answers", String.join("\n", answers),
        "logs", logText(),
        "audit rows", audit,
        "usage rows", usageRows,
        "usage API", usageApi,
        "providers API", providersApi);
    places.forEach((where, text) -> assertThat(text).as(where).doesNotContain(PROVIDER_KEY).doesNotContain(KEY_HALF));
    assertThat(String.join("\n", answers)).as("the scan saw the redacted echoes").contains("[redacted]");
    assertThat(logText()).as("the failures were logged, redacted").contains("the key [redacted] is not valid here");
  }

  // ---- calls

  static HttpResponse<String> openAi(String model, String extra) {
    calls.incrementAndGet();
    return keep(client.post("/v1/chat/completions", CHAT.formatted(model, extra), bearer(KEY_A)));
  }

  static HttpResponse<String> anthropic(String model, String extra) {
    calls.incrementAndGet();
    return keep(client.post("/v1/messages", CHAT.formatted(model, extra), "x-api-key", KEY_A, "anthropic-version", "2023-06-01"));
  }

  /** Remembers an answer (headers and body) for the scan. */
  static HttpResponse<String> keep(HttpResponse<String> r) {
    answers.add(r.headers().map() + "\n" + r.body());
    return r;
  }

  /** Runs a one-step pipeline calling {@code model}: the task, with its trace and its Temporal history. */
  static JsonNode run(String model) {
    calls.incrementAndGet();
    String id = gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"ask\",\"model\":\"" + model
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}]}}");
    ObjectNode task = (ObjectNode) gh.await(id);
    HttpResponse<String> trace = keep(gh.get("/v1/tasks/" + id + "/trace", KEY_A));
    task.set("trace", json(trace));
    String history = readable(gh.application().temporal().client().fetchHistory(id).toJson(false));
    task.put("history", history);
    answers.add(task.toString());
    assertThat(history).as("the decoded history is the task's").contains("\"" + model + "\"");
    return task;
  }

  /**
   * A Temporal history's JSON with every payload's base64 {@code data} decoded beside it: the
   * activities' inputs and results (and so a leaked key) are there only in base64.
   */
  static String readable(String historyJson) {
    StringBuilder out = new StringBuilder(historyJson).append('\n');
    List<JsonNode> todo = new ArrayList<>(List.of(parse(historyJson)));
    while (!todo.isEmpty()) {
      JsonNode node = todo.remove(todo.size() - 1);
      if (node.isContainerNode()) {
        node.forEach(todo::add);
      } else if (node.isTextual() && node.asText().length() >= 8) {
        try {
          out.append(new String(Base64.getDecoder().decode(node.asText()), StandardCharsets.UTF_8)).append('\n');
        } catch (IllegalArgumentException notBase64) {
          // plain text, already in the JSON
        }
      }
    }
    return out.toString();
  }

  static JsonNode parse(String text) {
    try {
      return TestGatehouse.JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  // ---- registry

  static void provider(String name, String type, String baseUrl) {
    ok(gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"" + name + "\",\"type\":\"" + type + "\",\"baseUrl\":\"" + baseUrl
        + "\",\"apiKey\":\"{{secret:MODEL_KEY}}\",\"timeout\":\"5s\"}"), 201);
  }

  static void model(String name, String provider, String providerModel) {
    ok(gh.post("/admin/v1/models", ADMIN_KEY, "{\"name\":\"" + name + "\",\"targets\":[{\"provider\":\"" + provider
        + "\",\"model\":\"" + providerModel + "\"}],\"retry\":{\"maxAttempts\":1}}"), 201);
  }

  static void ok(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.request().uri() + " " + r.body()).isEqualTo(status);
  }

  static String openAiErrorBody(String message) {
    return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}";
  }

  // ---- what was written

  static String logText() {
    StringBuilder text = new StringBuilder();
    for (ILoggingEvent e : List.copyOf(logs.list)) {
      text.append(e.getFormattedMessage()).append(' ').append(e.getMDCPropertyMap()).append('\n');
      if (e.getThrowableProxy() != null) {
        text.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
    }
    return text.toString();
  }

  /** Every usage row as text, once there are at least {@code n} (they are written in batches). */
  static String awaitUsageRows(int n) throws InterruptedException {
    List<String> rows = new ArrayList<>();
    for (long end = System.nanoTime() + Duration.ofSeconds(10).toNanos(); System.nanoTime() < end; Thread.sleep(100)) {
      rows = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT model_usage::text FROM model_usage").mapTo(String.class).list());
      if (rows.size() >= n) {
        break;
      }
    }
    assertThat(rows.size()).as("usage rows").isGreaterThanOrEqualTo(n);
    return rows.toString();
  }

  /**
   * A fake provider (not a model) whose streams begin and then break with an error event that
   * repeats the key it was sent: OpenAI's {@code data: {"error":...}}, Anthropic's {@code event:
   * error}. The fake provider of the other tests scripts failures but not this one.
   */
  static final class FakeErrorStreamProvider implements AutoCloseable {
    final HttpServer server;
    final List<String> credentials = new CopyOnWriteArrayList<>();
    volatile boolean sawAgentKey;

    FakeErrorStreamProvider() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/v1/chat/completions", ex -> stream(ex, false));
      server.createContext("/v1/messages", ex -> stream(ex, true));
      server.start();
    }

    String base() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void stream(HttpExchange ex, boolean anthropic) throws IOException {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String credential = anthropic ? ex.getRequestHeaders().getFirst("x-api-key") : ex.getRequestHeaders().getFirst("Authorization");
      credentials.add(String.valueOf(credential));
      if (body.contains(KEY_A) || ex.getRequestHeaders().toString().contains(KEY_A)) {
        sawAgentKey = true;
      }
      String key = credential == null ? "none" : credential;
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        if (anthropic) {
          event(out, "message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
              + "\"model\":\"stream-error\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}");
          event(out, "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
          event(out, "content_block_delta",
              "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"first words\"}}");
          event(out, "error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"key " + key + " is overloaded\"}}");
        } else {
          String head = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"stream-error\",";
          event(out, null, head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
          event(out, null, head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first words\"},\"finish_reason\":null}]}");
          event(out, null, "{\"error\":{\"message\":\"key " + key + " hit an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        }
      }
    }

    private static void event(OutputStream out, String name, String data) throws IOException {
      out.write(((name == null ? "" : "event: " + name + "\n") + "data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
