package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.models.FaceClient.anthropicError;
import static dev.gatehouse.frontend.models.FaceClient.bearer;
import static dev.gatehouse.frontend.models.FaceClient.openAiError;
import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fallback matrix, through the real application (real HTTP on loopback, the registry and the
 * usage table on PostgreSQL): each way a provider fails, on the first target of a model, and what
 * the caller and the usage row see. Two fake providers ({@link FakeProvider}, not models) play
 * the targets: {@link #first} fails as each row scripts, {@link #second} answers; a closed port
 * and a server that resets every connection play the failures a fake cannot.
 *
 * <p>Targets are tried in a weighted random order, so the rows that need the failing target first
 * reach the second one as a fallback alias (deterministic); the rows through two targets of one
 * model weight the failing one 10000 to 1 and call again in the rare case the second went first.
 * Cool-down is per provider and per replica: every row registers providers of its own, so no row
 * inherits another's.
 */
class ModelFallbackMatrixTest {
  static final String PROVIDER_KEY = "sk-matrix-provider-key-0123456789abcdef";
  static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16%s}";
  static final String ANSWER = "answered by the second provider";
  /** The provider timeout of every row: what "hangs" means here. */
  static final Duration TIMEOUT = Duration.ofMillis(500);

  static TestGatehouse gh;
  static FaceClient client;
  static FakeProvider first;
  static FakeProvider second;
  static ResettingServer resetting;
  static int closedPort;
  static final AtomicInteger ROWS = new AtomicInteger();

  enum Face { OPENAI, ANTHROPIC }

  /** How the second provider is reached when the first fails. */
  enum Via {
    /** The model's only target fails; its fallback alias's target answers. */
    FALLBACK_ALIAS,
    /** The model's first target (weight 10000) fails; its second target (weight 1) answers. */
    SECOND_TARGET
  }

  /** What one provider does with the call. */
  enum Failure {
    NONE("answers"),
    RATE_LIMITED_SHORT("429, Retry-After: 1 (retried once, then left)"),
    RATE_LIMITED_LONG("429, Retry-After: 60 (left at once)"),
    STATUS_500("500"),
    STATUS_503("503"),
    HANG("no answer within its timeout"),
    REFUSED("connection refused"),
    RESET("connection reset before the first byte"),
    MALFORMED("a 200 that is not JSON"),
    RESET_AFTER_HEADERS("a 200 stream reset before its first event"),
    STALL_AFTER_HEADERS("a 200 stream silent before its first event"),
    RESET_MID_STREAM("a stream reset after its first events"),
    STALL_MID_STREAM("a stream silent after its first events");

    final String text;

    Failure(String text) {
      this.text = text;
    }

    /** Retries of the model whose target fails so: two where a 429's Retry-After decides, else one. */
    int maxAttempts() {
      return this == RATE_LIMITED_SHORT || this == RATE_LIMITED_LONG ? 2 : 1;
    }

    /** Whether the fake sees the requests (a closed port and the resetting server are not the fake). */
    boolean onFake() {
      return this != REFUSED && this != RESET;
    }

    /** How many requests this failure takes from its provider before the router leaves it. */
    int requests() {
      return this == RATE_LIMITED_SHORT ? 2 : 1;
    }

    String baseUrl(FakeProvider fake, String type) {
      boolean openai = type.equals("openai");
      switch (this) {
        case REFUSED:
          return "http://127.0.0.1:" + closedPort + (openai ? "/v1" : "");
        case RESET:
          return resetting.base() + (openai ? "/v1" : "");
        default:
          return openai ? fake.openaiBase() : fake.anthropicBase();
      }
    }

    void arrange(FakeProvider fake, String providerModel, String type) {
      // Mid-stream: after the first text fragment (OpenAI: role, text, text; Anthropic: start, block, ping, text, text).
      int events = type.equals("openai") ? 3 : 5;
      Duration pace = Duration.ofMillis(20);
      switch (this) {
        case NONE:
          fake.script(providerModel, Reply.text(ANSWER).withUsage(21, 13));
          break;
        case RATE_LIMITED_SHORT:
          fake.enqueue(providerModel, Reply.status(429).withRetryAfter("1"), Reply.status(429).withRetryAfter("1"));
          fake.script(providerModel, Reply.text("too late: the router has left this provider"));
          break;
        case RATE_LIMITED_LONG:
          fake.script(providerModel, Reply.status(429).withRetryAfter("60"));
          break;
        case STATUS_500:
          fake.script(providerModel, Reply.status(500));
          break;
        case STATUS_503:
          fake.script(providerModel, Reply.status(503));
          break;
        case HANG:
          fake.script(providerModel, Reply.hang());
          break;
        case MALFORMED:
          fake.script(providerModel, Reply.malformed());
          break;
        case RESET_AFTER_HEADERS:
          fake.script(providerModel, Reply.resetAfter(0));
          break;
        case STALL_AFTER_HEADERS:
          fake.script(providerModel, Reply.stallAfter(0));
          break;
        case RESET_MID_STREAM:
          fake.script(providerModel, Reply.resetAfter(events).withChunkDelay(pace));
          break;
        case STALL_MID_STREAM:
          fake.script(providerModel, Reply.stallAfter(events).withChunkDelay(pace));
          break;
        default:
          break; // REFUSED, RESET: no fake involved
      }
    }
  }

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
    client = new FaceClient(gh.api());
    first = new FakeProvider();
    second = new FakeProvider();
    resetting = new ResettingServer();
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    created(gh.put("/admin/v1/secrets/MATRIX_KEY", ADMIN_KEY, "{\"value\":\"" + PROVIDER_KEY + "\"}"), 200);
  }

  @AfterAll
  static void stop() {
    try {
      if (gh != null) {
        gh.close();
      }
    } finally {
      for (AutoCloseable c : new AutoCloseable[] {first, second, resetting}) {
        try {
          if (c != null) {
            c.close();
          }
        } catch (Exception ignored) {
          // closing anyway
        }
      }
    }
  }

  // ---- the matrix: the first fails, the second answers

  /** One row: through which face, streamed or not, how the second is reached, what the first does. */
  record Row(Face face, boolean stream, Via via, String firstType, Failure failure, String secondType) {
    @Override
    public String toString() {
      return String.format("%-9s %-10s %-13s | first (%s): %s -> second (%s) answers",
          face.name().toLowerCase(), stream ? "stream" : "non-stream", via == Via.FALLBACK_ALIAS ? "fallback alias" : "second target",
          firstType, failure.text, secondType);
    }
  }

  static Row row(Face face, boolean stream, Via via, String firstType, Failure failure, String secondType) {
    return new Row(face, stream, via, firstType, failure, secondType);
  }

  static Stream<Row> fallbacks() {
    Face o = Face.OPENAI;
    Face a = Face.ANTHROPIC;
    Via alias = Via.FALLBACK_ALIAS;
    Via target = Via.SECOND_TARGET;
    return Stream.of(
        // face  stream  via     first type   failure of the first          second type
        row(o, false, alias, "openai", Failure.RATE_LIMITED_SHORT, "openai"),
        row(o, false, alias, "openai", Failure.RATE_LIMITED_LONG, "anthropic"),
        row(o, false, alias, "openai", Failure.STATUS_500, "openai"),
        row(o, false, alias, "openai", Failure.STATUS_503, "anthropic"),
        row(o, false, alias, "openai", Failure.HANG, "openai"),
        row(o, false, alias, "openai", Failure.REFUSED, "openai"),
        row(o, false, alias, "openai", Failure.RESET, "anthropic"),
        row(o, false, alias, "openai", Failure.MALFORMED, "openai"),
        row(o, true, alias, "openai", Failure.RATE_LIMITED_SHORT, "openai"),
        row(o, true, alias, "openai", Failure.RATE_LIMITED_LONG, "openai"),
        row(o, true, alias, "openai", Failure.STATUS_500, "anthropic"),
        row(o, true, alias, "openai", Failure.STATUS_503, "openai"),
        row(o, true, alias, "openai", Failure.HANG, "openai"),
        row(o, true, alias, "openai", Failure.REFUSED, "anthropic"),
        row(o, true, alias, "openai", Failure.RESET, "openai"),
        row(o, true, alias, "openai", Failure.MALFORMED, "openai"),
        row(o, true, alias, "openai", Failure.RESET_AFTER_HEADERS, "openai"),
        row(o, true, alias, "anthropic", Failure.STALL_AFTER_HEADERS, "openai"),
        row(a, false, alias, "anthropic", Failure.RATE_LIMITED_LONG, "anthropic"),
        row(a, false, alias, "anthropic", Failure.STATUS_500, "openai"),
        row(a, false, alias, "anthropic", Failure.HANG, "anthropic"),
        row(a, false, alias, "anthropic", Failure.MALFORMED, "anthropic"),
        row(a, true, alias, "anthropic", Failure.STATUS_503, "anthropic"),
        row(a, true, alias, "anthropic", Failure.RESET_AFTER_HEADERS, "openai"),
        row(a, true, alias, "anthropic", Failure.MALFORMED, "anthropic"),
        row(a, true, alias, "openai", Failure.REFUSED, "anthropic"),
        row(o, false, target, "openai", Failure.STATUS_500, "anthropic"),
        row(o, false, target, "openai", Failure.HANG, "openai"),
        row(o, true, target, "openai", Failure.RATE_LIMITED_SHORT, "openai"),
        row(a, true, target, "anthropic", Failure.MALFORMED, "openai"),
        row(a, false, target, "anthropic", Failure.RATE_LIMITED_LONG, "openai"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fallbacks")
  void theFirstFailsAndTheSecondAnswers(Row row) throws Exception {
    Names n = names();
    provider(n.first, row.firstType, row.failure.baseUrl(first, row.firstType));
    provider(n.second, row.secondType, Failure.NONE.baseUrl(second, row.secondType));
    row.failure.arrange(first, n.firstModel, row.firstType);
    Failure.NONE.arrange(second, n.secondModel, row.secondType);
    int attempts = row.failure.maxAttempts();
    if (row.via == Via.FALLBACK_ALIAS) {
      model(n.fallbackAlias, target(n.second, n.secondModel, 1), 1, null);
      model(n.alias, target(n.first, n.firstModel, 1), attempts, n.fallbackAlias);
    } else {
      model(n.alias, target(n.first, n.firstModel, 10_000) + "," + target(n.second, n.secondModel, 1), attempts, null);
    }

    int resetsBefore = resetting.accepted();
    long start = System.nanoTime();
    HttpResponse<String> r = call(row.face, n.alias, row.stream);
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    int calls = 1;
    // Two targets: in about one call of 10001 the second goes first, and the first is never tried. Call again.
    while (row.via == Via.SECOND_TARGET && requests(first, n.firstModel) == 0 && calls < 5) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      start = System.nanoTime();
      r = call(row.face, n.alias, row.stream);
      elapsedMs = (System.nanoTime() - start) / 1_000_000;
      calls++;
    }

    assertThat(r.statusCode()).as(row + ": " + r.body()).isEqualTo(200);
    assertThat(text(row.face, row.stream, r.body())).as(r.body()).isEqualTo(ANSWER);
    if (row.failure.onFake()) {
      assertThat(requests(first, n.firstModel)).as("requests to the first").isEqualTo(row.failure.requests());
    } else if (row.failure == Failure.RESET) {
      assertThat(resetting.accepted() - resetsBefore).as("connections reset").isEqualTo(1);
    }
    assertThat(requests(second, n.secondModel)).as("requests to the second").isEqualTo(1);
    if (row.failure == Failure.RATE_LIMITED_SHORT) {
      assertThat(elapsedMs).as("the first's Retry-After was waited for").isGreaterThanOrEqualTo(1_000);
    }
    if (row.failure == Failure.RATE_LIMITED_LONG) {
      assertThat(elapsedMs).as("a Retry-After over models.maxRetryAfter is not waited for").isLessThan(4_000);
    }
    if (row.failure == Failure.HANG || row.failure == Failure.STALL_AFTER_HEADERS) {
      assertThat(elapsedMs).as("the first was given its timeout").isGreaterThanOrEqualTo(TIMEOUT.toMillis());
    }

    JsonNode usage = usage(n.alias, calls).get(0);
    assertThat(usage.get("provider").asText()).as(usage.toString()).isEqualTo(n.second);
    assertThat(usage.get("providerModel").asText()).isEqualTo(n.secondModel);
    assertThat(usage.get("outcome").asText()).isEqualTo("ok");
    assertThat(usage.get("inputTokens").asLong()).isEqualTo(21);
    assertThat(usage.get("outputTokens").asLong()).isEqualTo(13);
    assertThat(usage.get("estimated").asBoolean()).isFalse();
    assertThat(usage.get("stream").asBoolean()).isEqualTo(row.stream);
  }

  // ---- a stream that breaks after its first event: no fallback

  record MidStream(Face face, String firstType, Failure failure, String code) {
    @Override
    public String toString() {
      return String.format("%-9s stream | first (%s): %s -> the stream ends with %s, no fallback",
          face.name().toLowerCase(), firstType, failure.text, code);
    }
  }

  static Stream<MidStream> midStream() {
    return Stream.of(
        new MidStream(Face.OPENAI, "openai", Failure.RESET_MID_STREAM, "upstream_error"),
        new MidStream(Face.OPENAI, "openai", Failure.STALL_MID_STREAM, "timed_out"),
        new MidStream(Face.OPENAI, "anthropic", Failure.RESET_MID_STREAM, "upstream_error"),
        new MidStream(Face.ANTHROPIC, "anthropic", Failure.RESET_MID_STREAM, "upstream_error"),
        new MidStream(Face.ANTHROPIC, "openai", Failure.STALL_MID_STREAM, "timed_out"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("midStream")
  void aStreamThatBreaksAfterItsFirstEventEndsWithAnErrorEventAndDoesNotFallBack(MidStream row) {
    Names n = names();
    provider(n.first, row.firstType, row.failure.baseUrl(first, row.firstType));
    provider(n.second, "openai", Failure.NONE.baseUrl(second, "openai"));
    row.failure.arrange(first, n.firstModel, row.firstType);
    Failure.NONE.arrange(second, n.secondModel, "openai");
    model(n.fallbackAlias, target(n.second, n.secondModel, 1), 1, null);
    model(n.alias, target(n.first, n.firstModel, 1), 2, n.fallbackAlias);

    HttpResponse<String> r = call(row.face, n.alias, true);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    List<String[]> events = events(r.body());
    assertThat(events).as(r.body()).hasSizeGreaterThan(1);
    String[] last = events.get(events.size() - 1);
    JsonNode error = ModelFacesEndToEndTest.parse(last[1]);
    if (row.face == Face.OPENAI) {
      assertThat(last[0]).as("an OpenAI stream's events are unnamed").isNull();
      assertThat(error.path("error").path("code").asText()).as(r.body()).isEqualTo(row.code);
      assertThat(error.path("error").path("type").asText()).as(r.body()).isEqualTo("api_error");
      assertThat(error.path("error").path("message").isTextual()).isTrue();
      assertThat(r.body()).as("no [DONE] after an error").doesNotContain("[DONE]");
    } else {
      assertThat(last[0]).as(r.body()).isEqualTo("error");
      assertThat(error.path("type").asText()).isEqualTo("error");
      assertThat(error.path("error").path("type").asText()).as(r.body()).isEqualTo("api_error");
      assertThat(error.path("error").path("code").asText()).as(r.body()).isEqualTo(row.code);
      assertThat(error.path("error").path("message").isTextual()).isTrue();
      assertThat(events).extracting(e -> e[0]).as(r.body()).startsWith("message_start").doesNotContain("message_stop");
    }
    assertThat(r.body()).as("text of the first before the error").contains(row.face == Face.OPENAI ? "\"content\":\"" : "text_delta");
    assertThat(r.body()).doesNotContain(ANSWER).doesNotContain(PROVIDER_KEY);
    assertThat(requests(first, n.firstModel)).as("no retry once the client has events").isEqualTo(1);
    assertThat(requests(second, n.secondModel)).as("no fallback once the client has events").isZero();

    JsonNode usage = usage(n.alias, 1).get(0);
    assertThat(usage.get("provider").asText()).as(usage.toString()).isEqualTo(n.first);
    assertThat(usage.get("providerModel").asText()).isEqualTo(n.firstModel);
    assertThat(usage.get("outcome").asText()).isEqualTo(row.code);
    assertThat(usage.get("estimated").asBoolean()).as("the stream never reported its usage").isTrue();
    assertThat(usage.get("inputTokens").asLong()).isPositive();
    assertThat(usage.get("outputTokens").asLong()).as("what was relayed is counted").isPositive();
    assertThat(usage.get("stream").asBoolean()).isTrue();
  }

  // ---- nothing answers

  record AllFail(Face face, boolean stream, Failure onFirst, Failure onSecond, int status, String code, String retryAfter) {
    @Override
    public String toString() {
      return String.format("%-9s %-10s | first: %s, second: %s -> %d %s%s",
          face.name().toLowerCase(), stream ? "stream" : "non-stream", onFirst.text, onSecond.text, status, code,
          retryAfter == null ? ", no Retry-After" : ", Retry-After: " + retryAfter);
    }
  }

  static Stream<AllFail> allFail() {
    Face o = Face.OPENAI;
    Face a = Face.ANTHROPIC;
    return Stream.of(
        // The shortest Retry-After any provider asked for.
        new AllFail(o, false, Failure.RATE_LIMITED_LONG, Failure.RATE_LIMITED_SHORT, 429, "rate_limited", "1"),
        new AllFail(o, true, Failure.RATE_LIMITED_SHORT, Failure.RATE_LIMITED_LONG, 429, "rate_limited", "1"),
        new AllFail(a, false, Failure.RATE_LIMITED_LONG, Failure.RATE_LIMITED_LONG, 429, "rate_limited", "60"),
        new AllFail(o, false, Failure.HANG, Failure.HANG, 504, "timed_out", null),
        new AllFail(a, true, Failure.HANG, Failure.STALL_AFTER_HEADERS, 504, "timed_out", null),
        new AllFail(o, false, Failure.STATUS_500, Failure.REFUSED, 503, "upstream_unavailable", null),
        new AllFail(o, true, Failure.RESET, Failure.MALFORMED, 503, "upstream_unavailable", null),
        new AllFail(a, false, Failure.STATUS_503, Failure.HANG, 503, "upstream_unavailable", null),
        new AllFail(a, true, Failure.RESET_AFTER_HEADERS, Failure.STATUS_500, 503, "upstream_unavailable", null),
        // Every provider answered, with nothing Gatehouse can read: the answer is at fault, not the reach.
        new AllFail(o, false, Failure.MALFORMED, Failure.MALFORMED, 502, "upstream_error", null),
        new AllFail(a, false, Failure.MALFORMED, Failure.MALFORMED, 502, "upstream_error", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allFail")
  void whenNothingAnswersTheCallFailsWithTheDocumentedCode(AllFail row) {
    Names n = names();
    provider(n.first, "openai", row.onFirst.baseUrl(first, "openai"));
    provider(n.second, "anthropic", row.onSecond.baseUrl(second, "anthropic"));
    row.onFirst.arrange(first, n.firstModel, "openai");
    row.onSecond.arrange(second, n.secondModel, "anthropic");
    model(n.fallbackAlias, target(n.second, n.secondModel, 1), 1, null);
    model(n.alias, target(n.first, n.firstModel, 1), 1, n.fallbackAlias);

    HttpResponse<String> r = call(row.face, n.alias, row.stream);

    // A stream that fails before its first event is an ordinary error answer, in the SDK's shape.
    JsonNode error = row.face == Face.OPENAI ? openAiError(r, row.status, row.code) : anthropicError(r, row.status, row.code);
    assertThat(r.headers().firstValue("Retry-After").orElse(null)).as(r.body()).isEqualTo(row.retryAfter);
    assertThat(error.get("message").asText()).as("the message names each provider tried").contains(n.first).contains(n.second);
    assertThat(r.body()).doesNotContain(PROVIDER_KEY);
    if (row.onFirst.onFake()) {
      assertThat(requests(first, n.firstModel)).isEqualTo(1);
    }
    if (row.onSecond.onFake()) {
      assertThat(requests(second, n.secondModel)).isEqualTo(1);
    }

    JsonNode usage = usage(n.alias, 1).get(0);
    assertThat(usage.get("provider").isNull()).as("no provider answered: " + usage).isTrue();
    assertThat(usage.get("outcome").asText()).isEqualTo(row.code);
    assertThat(usage.get("inputTokens").asLong() + usage.get("outputTokens").asLong()).isZero();
    assertThat(usage.get("stream").asBoolean()).isEqualTo(row.stream);
  }

  // ---- helpers

  /** A row's registry names: fresh providers (their own cool-down), models and provider models. */
  record Names(String alias, String fallbackAlias, String first, String second, String firstModel, String secondModel) {}

  static Names names() {
    String r = "mx" + ROWS.incrementAndGet();
    return new Names(r, r + "-fallback", r + "-first", r + "-second", r + "-first-model", r + "-second-model");
  }

  static void provider(String name, String type, String baseUrl) {
    created(gh.post("/admin/v1/providers", ADMIN_KEY,
        "{\"name\":\"" + name + "\",\"type\":\"" + type + "\",\"baseUrl\":\"" + baseUrl + "\",\"apiKey\":\"{{secret:MATRIX_KEY}}\","
            + "\"timeout\":\"" + TIMEOUT.toMillis() + "ms\"}"), 201);
  }

  static String target(String provider, String model, int weight) {
    return "{\"provider\":\"" + provider + "\",\"model\":\"" + model + "\",\"weight\":" + weight + "}";
  }

  static void model(String name, String targets, int maxAttempts, String fallback) {
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"" + name + "\",\"targets\":[" + targets + "],\"retry\":{\"maxAttempts\":" + maxAttempts + "}"
            + (fallback == null ? "" : ",\"fallbacks\":[\"" + fallback + "\"]") + "}"), 201);
  }

  static void created(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.request().uri() + " " + r.body()).isEqualTo(status);
  }

  static HttpResponse<String> call(Face face, String alias, boolean stream) {
    String body = CHAT.formatted(alias, stream ? ",\"stream\":true" : "");
    return face == Face.OPENAI
        ? client.post("/v1/chat/completions", body, bearer(KEY_A))
        : client.post("/v1/messages", body, "x-api-key", KEY_A, "anthropic-version", "2023-06-01");
  }

  static long requests(FakeProvider fake, String providerModel) {
    return fake.requests().stream().filter(q -> providerModel.equals(q.model())).count();
  }

  /** The answer's text: the message's, or the stream's deltas joined (asserting the stream ended well). */
  static String text(Face face, boolean stream, String body) {
    if (!stream) {
      JsonNode answer = ModelFacesEndToEndTest.parse(body);
      return face == Face.OPENAI
          ? answer.path("choices").path(0).path("message").path("content").asText()
          : answer.path("content").path(0).path("text").asText();
    }
    StringBuilder text = new StringBuilder();
    List<String[]> events = events(body);
    if (face == Face.OPENAI) {
      assertThat(events.get(events.size() - 1)[1]).as(body).isEqualTo("[DONE]");
      for (String[] e : events.subList(0, events.size() - 1)) {
        JsonNode chunk = ModelFacesEndToEndTest.parse(e[1]);
        assertThat(chunk.has("error")).as(body).isFalse();
        chunk.path("choices").forEach(c -> text.append(c.path("delta").path("content").asText("")));
      }
    } else {
      assertThat(events).extracting(e -> e[0]).as(body).startsWith("message_start").endsWith("message_stop").doesNotContain("error");
      for (String[] e : events) {
        if ("content_block_delta".equals(e[0])) {
          text.append(ModelFacesEndToEndTest.parse(e[1]).path("delta").path("text").asText(""));
        }
      }
    }
    return text.toString();
  }

  /** The events of an SSE body: {name or null, data}. */
  static List<String[]> events(String sse) {
    List<String[]> out = new ArrayList<>();
    for (String block : sse.split("\n\n")) {
      String name = null;
      String data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = line.substring(6);
        }
      }
      if (data != null) {
        out.add(new String[] {name, data});
      }
    }
    return out;
  }

  /** The usage rows of {@code alias}, newest first, once at least {@code n} are written (they are written in batches). */
  static JsonNode usage(String alias, int n) {
    JsonNode items = null;
    for (long end = System.nanoTime() + Duration.ofSeconds(10).toNanos(); System.nanoTime() < end; ) {
      HttpResponse<String> r = gh.get("/admin/v1/usage/calls?model=" + alias, ADMIN_KEY);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      items = TestGatehouse.json(r).get("items");
      if (items.size() >= n) {
        break;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    assertThat(items).as("usage rows of " + alias).hasSize(n);
    assertThat(items.toString()).doesNotContain(PROVIDER_KEY);
    return items;
  }

  /**
   * A server on loopback that reads each request's head and resets the connection (TCP RST)
   * before sending a byte: what the fake provider, which always answers something, cannot do.
   */
  static final class ResettingServer implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "resetting-server");
      t.setDaemon(true);
      return t;
    });
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    ResettingServer() throws IOException {
      pool.execute(() -> {
        while (!closed) {
          try {
            Socket s = server.accept();
            pool.execute(() -> reset(s));
          } catch (IOException e) {
            return;
          }
        }
      });
    }

    String base() {
      return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Connections reset so far. */
    int accepted() {
      return accepted.get();
    }

    private void reset(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        int matched = 0;
        while (matched < 4) {
          int b = in.read();
          if (b < 0) {
            return;
          }
          matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        accepted.incrementAndGet();
        s.setSoLinger(true, 0);
      } catch (IOException ignored) {
        // the client went away first
      }
    }

    @Override
    public void close() throws IOException {
      closed = true;
      server.close();
      pool.shutdownNow();
    }
  }
}
