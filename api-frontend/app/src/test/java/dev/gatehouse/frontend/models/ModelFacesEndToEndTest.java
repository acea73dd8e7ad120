package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.models.FaceClient.anthropicError;
import static dev.gatehouse.frontend.models.FaceClient.bearer;
import static dev.gatehouse.frontend.models.FaceClient.json;
import static dev.gatehouse.frontend.models.FaceClient.openAiError;
import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model faces end to end: the real application, its registry on PostgreSQL, real HTTP on
 * loopback, and a fake provider ({@link FakeProvider}) of each type behind registered
 * models. Non-streamed and streamed calls through both faces to both provider types, the model
 * list as each agent may see it, unknown and forbidden models, a client that leaves mid-stream,
 * and Gatehouse's provider key (never the agent's) on every upstream request.
 */
class ModelFacesEndToEndTest {
  static final String PROVIDER_SECRET = "sk-fake-provider-secret-0123456789";
  static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16%s}";

  static TestGatehouse gh;
  /** How long a client's stream goes without a write before a keep-alive, in these tests. */
  static final long KEEP_ALIVE_MS = 300;

  /** How long the provider model {@code thinker} is quiet before its first piece and after it ({@code deep-thinker}: 8 s after it). */
  static final Duration THINKING = Duration.ofMillis(1_500);

  /** How many pieces the provider model {@code slow} streams, {@link #SLOW_PACE} apart: 10 s in all. */
  static final int SLOW_CHUNKS = 200;
  static final Duration SLOW_PACE = Duration.ofMillis(50);

  static FakeProvider fake;
  static FaceClient client;
  static String limitedKey;

  @BeforeAll
  static void start() throws Exception {
    // Keep-alives sooner than the default 15 s, so a test's quiet provider shows them.
    gh = TestGatehouse.start(c -> c.getModels().setStreamKeepAlive(io.dropwizard.util.Duration.milliseconds(KEEP_ALIVE_MS)));
    fake = fakeProvider();
    client = new FaceClient(gh.api());
    created(gh.put("/admin/v1/secrets/FAKE_PROVIDER_KEY", ADMIN_KEY, "{\"value\":\"" + PROVIDER_SECRET + "\"}"), 200);
    created(gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"fake-openai\",\"type\":\"openai\",\"baseUrl\":\"" + fake.openaiBase()
        + "\",\"apiKey\":\"{{secret:FAKE_PROVIDER_KEY}}\",\"timeout\":\"10s\"}"), 201);
    created(gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"fake-anthropic\",\"type\":\"anthropic\",\"baseUrl\":\"" + fake.anthropicBase()
        + "\",\"apiKey\":\"{{secret:FAKE_PROVIDER_KEY}}\",\"timeout\":\"10s\"}"), 201);
    model("e2e-gpt", "fake-openai", "fake-gpt", null);
    model("e2e-claude", "fake-anthropic", "fake-claude", null);
    model("e2e-slow", "fake-openai", "slow", null);
    model("e2e-slow-claude", "fake-anthropic", "slow", null);
    model("e2e-thinker", "fake-openai", "thinker", null);
    model("e2e-thinker-claude", "fake-anthropic", "thinker", null);
    model("e2e-deep-thinker", "fake-openai", "deep-thinker", null);
    model("e2e-embed", "fake-openai", "fake-embed", null);
    model("e2e-forbidden", "fake-openai", "fake-gpt", null);
    model("other-model", "fake-openai", "fake-gpt", null);
    // Providers of their own for failures, so their cool-down leaves the others alone.
    created(gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"fake-limits\",\"type\":\"openai\",\"baseUrl\":\"" + fake.openaiBase() + "\"}"), 201);
    created(gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"fake-broken\",\"type\":\"anthropic\",\"baseUrl\":\"" + fake.anthropicBase() + "\"}"), 201);
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"e2e-limited\",\"targets\":[{\"provider\":\"fake-limits\",\"model\":\"rate-limited\"}],\"retry\":{\"maxAttempts\":1}}"), 201);
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"e2e-broken\",\"targets\":[{\"provider\":\"fake-broken\",\"model\":\"broken\"}],\"retry\":{\"maxAttempts\":1}}"), 201);
    String alpha = tenantId("alpha");
    String beta = tenantId("beta");
    created(gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"beta-p\",\"tenant\":\"" + beta + "\",\"type\":\"openai\",\"baseUrl\":\"" + fake.openaiBase() + "\"}"), 201);
    model("e2e-beta-only", "beta-p", "fake-gpt", beta);
    HttpResponse<String> agent = gh.post("/admin/v1/agents", ADMIN_KEY, "{\"tenant\":\"" + alpha + "\",\"name\":\"face-limited\","
        + "\"models\":{\"allow\":[\"e2e-*\"],\"deny\":[\"e2e-forbidden\"]}}");
    created(agent, 201);
    HttpResponse<String> key = gh.post("/admin/v1/agents/" + TestGatehouse.json(agent).get("id").asText() + "/keys", ADMIN_KEY, "");
    created(key, 201);
    limitedKey = TestGatehouse.json(key).get("key").asText();
  }

  /**
   * The fake provider as these tests use it: "hello from the fake" (5 tokens in, 4 out) unless the
   * provider model says otherwise: {@code rate-limited} (429, {@code Retry-After: 7}), {@code
   * broken} (500), {@code slow} ({@link #SLOW_CHUNKS} pieces {@link #SLOW_PACE} apart), {@code
   * sleepy} (answers after {@code sleepy}).
   */
  static FakeProvider fakeProvider(Duration sleepy) throws IOException {
    String slowText = IntStream.range(0, SLOW_CHUNKS).mapToObj(i -> "w" + i + " ").collect(Collectors.joining());
    return new FakeProvider()
        .script(Reply.text("hello from the fake").withUsage(5, 4))
        .script("rate-limited", Reply.status(429).withRetryAfter("7"))
        .script("broken", Reply.status(500))
        .script("slow", Reply.text(slowText).withFragments(SLOW_CHUNKS).withChunkDelay(SLOW_PACE))
        .script("sleepy", Reply.text("hello from the fake").withUsage(5, 4).withDelay(sleepy))
        .script("thinker", Reply.text("thought it through").withFragments(2).withChunkDelay(THINKING).withThinking(THINKING))
        .script("deep-thinker", Reply.text("thought it through").withFragments(2).withChunkDelay(Duration.ofSeconds(8)));
  }

  static FakeProvider fakeProvider() throws IOException {
    return fakeProvider(Duration.ofMillis(2_500));
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

  static void created(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.request().uri() + " " + r.body()).isEqualTo(status);
  }

  static void model(String name, String provider, String providerModel, String tenant) {
    created(gh.post("/admin/v1/models", ADMIN_KEY, "{\"name\":\"" + name + "\"," + (tenant == null ? "" : "\"tenant\":\"" + tenant + "\",")
        + "\"targets\":[{\"provider\":\"" + provider + "\",\"model\":\"" + providerModel + "\"}]}"), 201);
  }

  static String tenantId(String name) {
    for (JsonNode t : TestGatehouse.json(gh.get("/admin/v1/tenants?limit=200", ADMIN_KEY)).get("items")) {
      if (t.get("name").asText().equals(name)) {
        return t.get("id").asText();
      }
    }
    throw new AssertionError("no tenant " + name);
  }

  static List<String> ids(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.get("data").forEach(m -> out.add(m.get("id").asText()));
    return out;
  }

  // ---- the model list

  private static com.fasterxml.jackson.databind.node.ObjectNode object(String json) throws IOException {
    return (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
  }

  /**
   * A server tool Anthropic runs itself (web search: Claude Code's WebSearch sends one, no beta
   * needed) reached the provider, letting the model reach out where Gatehouse neither governs nor
   * meters it. It is refused unless models.anthropicServerTools names it; custom tools and the
   * Anthropic-defined ones the client runs pass.
   */
  @Test
  void anAnthropicServerToolIsRefusedUnlessTheOperatorAllowsIt() throws Exception {
    int before = fake.requests("/v1/messages").size();
    String search = "{\"model\":\"e2e-claude\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Search.\"}],"
        + "\"tools\":[{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\"}},{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]}";
    for (String path : new String[] {"/v1/messages", "/v1/messages/count_tokens"}) {
      JsonNode refused = anthropicError(client.post(path, search, "x-api-key", KEY_A), 400, "invalid_request");
      assertThat(refused.path("message").asText()).contains("web_search_20250305", "models.anthropicServerTools");
    }
    // Nor does a conversation carrying such a tool's call or results, which no request policy reads
    // (a probe sent a fetched page's text in one past a PII entry that blocks).
    String fetched = "{\"model\":\"e2e-claude\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Fetch.\"},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"server_tool_use\",\"id\":\"s1\",\"name\":\"web_fetch\",\"input\":{}},"
        + "{\"type\":\"web_fetch_tool_result\",\"tool_use_id\":\"s1\",\"content\":{\"type\":\"web_fetch_result\",\"content\":"
        + "{\"type\":\"document\",\"source\":{\"type\":\"text\",\"data\":\"alice@example.com\"}}}}]},{\"role\":\"user\",\"content\":\"And?\"}]}";
    JsonNode blocked = anthropicError(client.post("/v1/messages", fetched, "x-api-key", KEY_A), 400, "invalid_request");
    assertThat(blocked.path("param").asText()).isEqualTo("messages[1].content[0]");
    assertThat(blocked.path("message").asText()).contains("web_fetch");
    assertThat(fake.requests("/v1/messages")).as("nothing was sent").hasSize(before);

    String clientTools = "{\"model\":\"e2e-claude\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"List files.\"}],"
        + "\"tools\":[{\"type\":\"bash_20250124\",\"name\":\"bash\"},{\"type\":\"text_editor_20250728\",\"name\":\"str_replace_based_edit_tool\"},"
        + "{\"type\":\"custom\",\"name\":\"x\",\"input_schema\":{\"type\":\"object\"}}]}";
    HttpResponse<String> ok = client.post("/v1/messages", clientTools, "x-api-key", KEY_A);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(fake.last().json().at("/tools/0/type").asText()).isEqualTo("bash_20250124");

    // Allowed by name (the type without its date), and only that one.
    AnthropicServerTools allowed = new AnthropicServerTools(java.util.Set.of("web_search"));
    allowed.check(object(search));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> allowed.check(object("{\"tools\":[{\"type\":\"web_fetch_20250910\",\"name\":\"web_fetch\"}]}")))
        .hasMessageContaining("web_fetch_20250910");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> allowed.check(object("{\"tools\":[{\"type\":5}]}")))
        .hasMessageContaining("tools[0].type");
    allowed.check(object("{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"server_tool_use\",\"name\":\"web_search\"},"
        + "{\"type\":\"web_search_tool_result\"},{\"type\":\"server_tool_use\",\"name\":\"tool_search_tool_regex\"}]}]}"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> allowed.check(object(
            "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"mcp_tool_result\"}]}]}")))
        .hasMessageContaining("mcp_toolset");
  }

  @Test
  void theModelListHoldsOnlyWhatTheAgentMayUseInEachSdksShape() {
    HttpResponse<String> limited = client.send(client.request("/v1/models", bearer(limitedKey)));
    assertThat(limited.statusCode()).as(limited.body()).isEqualTo(200);
    JsonNode list = json(limited);
    assertThat(list.get("object").asText()).isEqualTo("list");
    assertThat(ids(list)).contains("e2e-gpt", "e2e-claude", "e2e-embed").doesNotContain("e2e-forbidden", "other-model", "e2e-beta-only");
    for (JsonNode m : list.get("data")) {
      assertThat(m.get("object").asText()).isEqualTo("model");
      assertThat(m.get("created").isIntegralNumber()).isTrue();
      assertThat(m.get("owned_by").asText()).isEqualTo("gatehouse");
    }
    // An agent allowed every model still sees only its tenant's and the global ones.
    List<String> all = ids(json(client.send(client.request("/v1/models", bearer(KEY_A)))));
    assertThat(all).contains("e2e-forbidden", "other-model").doesNotContain("e2e-beta-only");

    HttpResponse<String> anthropic = client.send(client.request("/v1/models", "x-api-key", limitedKey, "anthropic-version", "2023-06-01"));
    assertThat(anthropic.statusCode()).as(anthropic.body()).isEqualTo(200);
    JsonNode page = json(anthropic);
    assertThat(page.get("has_more").asBoolean()).isFalse();
    assertThat(page.get("data").get(0).get("type").asText()).isEqualTo("model");
    assertThat(ids(page)).containsExactlyInAnyOrderElementsOf(ids(list));
    assertThat(page.get("first_id").asText()).isEqualTo(page.get("data").get(0).get("id").asText());
  }

  /**
   * Anthropic's list is paged as Anthropic pages it: {@code limit}, then {@code after_id} or
   * {@code before_id} (a probe's {@code models.list({limit: 1})} got every model with {@code
   * has_more: false}); a bad page is a 400 naming the parameter.
   */
  @Test
  void theAnthropicModelListIsPagedAsAnthropicPagesIt() {
    String[] sdk = {"x-api-key", KEY_A, "anthropic-version", "2023-06-01"};
    List<String> all = ids(json(client.send(client.request("/v1/models?limit=1000", sdk))));
    assertThat(all.size()).isGreaterThan(3);
    List<String> walked = new java.util.ArrayList<>();
    String after = null;
    for (int pages = 0; pages < 100; pages++) {
      JsonNode page = json(client.send(client.request("/v1/models?limit=2" + (after == null ? "" : "&after_id=" + after), sdk)));
      walked.addAll(ids(page));
      assertThat(page.get("data").size()).isLessThanOrEqualTo(2);
      if (!page.get("has_more").asBoolean()) {
        break;
      }
      after = page.get("last_id").asText();
    }
    assertThat(walked).as("page after page, each model once").isEqualTo(all);
    JsonNode before = json(client.send(client.request("/v1/models?limit=2&before_id=" + all.get(3), sdk)));
    assertThat(ids(before)).containsExactly(all.get(1), all.get(2));
    assertThat(before.get("has_more").asBoolean()).as("one more before").isTrue();
    assertThat(ids(json(client.send(client.request("/v1/models", sdk))))).as("20 by default").hasSize(Math.min(20, all.size()));

    for (String bad : List.of("limit=0", "limit=1001", "limit=x", "after_id=no-such-model", "after_id=" + all.get(0) + "&before_id=" + all.get(1))) {
      JsonNode error = anthropicError(client.send(client.request("/v1/models?" + bad, sdk)), 400, "invalid_request");
      assertThat(error.get("param").asText()).as(bad).isIn("limit", "after_id");
    }
  }

  @Test
  void oneModelIsAnsweredAsTheSdksRetrieveExpectsAndOneTheAgentMayNotUseIsNotFound() {
    HttpResponse<String> gpt = client.send(client.request("/v1/models/e2e-gpt", bearer(limitedKey)));
    assertThat(gpt.statusCode()).as(gpt.body()).isEqualTo(200);
    assertThat(json(gpt).get("id").asText()).isEqualTo("e2e-gpt");
    assertThat(json(gpt).get("object").asText()).isEqualTo("model");
    HttpResponse<String> claude = client.send(client.request("/v1/models/e2e-claude", "x-api-key", limitedKey, "anthropic-version", "2023-06-01"));
    assertThat(claude.statusCode()).as(claude.body()).isEqualTo(200);
    assertThat(json(claude).get("type").asText()).isEqualTo("model");
    assertThat(json(claude).get("id").asText()).isEqualTo("e2e-claude");

    // Denied to this agent, another tenant's, unknown, or not a model id at all: not found, in the SDK's shape.
    for (String id : List.of("e2e-forbidden", "e2e-beta-only", "no-such-model", "e2e-gpt/extra")) {
      JsonNode error = openAiError(client.send(client.request("/v1/models/" + id, bearer(limitedKey))), 404, "model_not_found");
      assertThat(error.get("message").asText()).isEqualTo("no model '" + id + "' is available to this agent");
    }
    assertThat(client.send(client.request("/v1/models/e2e-forbidden", bearer(KEY_A))).statusCode()).isEqualTo(200);
  }

  // ---- refusals by the invoker

  @Test
  void anUnknownModelIs404AndAForbiddenOne403InEachFacesShapeAndNothingGoesUpstream() {
    int before = fake.requests().size();
    JsonNode unknown = openAiError(client.post("/v1/chat/completions", CHAT.formatted("no-such-model", ""), bearer(KEY_A)), 404, "model_not_found");
    assertThat(unknown.get("type").asText()).isEqualTo("invalid_request_error");
    JsonNode unknownA = anthropicError(client.post("/v1/messages", CHAT.formatted("no-such-model", ""), "x-api-key", KEY_A), 404, "model_not_found");
    assertThat(unknownA.get("type").asText()).isEqualTo("not_found_error");
    openAiError(client.post("/v1/embeddings", "{\"model\":\"no-such-model\",\"input\":\"x\"}", bearer(KEY_A)), 404, "model_not_found");
    // A model of another tenant is not found either.
    openAiError(client.post("/v1/chat/completions", CHAT.formatted("e2e-beta-only", ""), bearer(KEY_A)), 404, "model_not_found");
    // A name longer than any model's is refused as it is read: a probe's 400,000 characters came
    // back whole in the 404's message (and went to the audit row).
    String huge = "m".repeat(400_000);
    HttpResponse<String> tooLong = client.post("/v1/chat/completions", CHAT.formatted(huge, ""), bearer(KEY_A));
    assertThat(openAiError(tooLong, 400, "invalid_request").get("param").asText()).isEqualTo("model");
    assertThat(tooLong.body()).hasSizeLessThan(1_000);
    anthropicError(client.post("/v1/messages", CHAT.formatted("m".repeat(129), ""), "x-api-key", KEY_A), 400, "invalid_request");
    // So is one with a line break or a terminal escape, which went into the audit row and the usage row as it was.
    HttpResponse<String> escaped = client.post("/v1/chat/completions", CHAT.formatted("x\\u001b[31m\\nWARN y", ""), bearer(KEY_A));
    assertThat(openAiError(escaped, 400, "invalid_request").get("message").asText()).contains("control characters");
    anthropicError(client.post("/v1/messages", CHAT.formatted("a\\u202eb", ""), "x-api-key", KEY_A), 400, "invalid_request");

    JsonNode forbidden = openAiError(client.post("/v1/chat/completions", CHAT.formatted("e2e-forbidden", ",\"stream\":true"), bearer(limitedKey)), 403, "model_not_allowed");
    assertThat(forbidden.get("type").asText()).isEqualTo("permission_error");
    JsonNode forbiddenA = anthropicError(client.post("/v1/messages", CHAT.formatted("other-model", ""), "x-api-key", limitedKey), 403, "model_not_allowed");
    assertThat(forbiddenA.get("type").asText()).isEqualTo("permission_error");
    assertThat(fake.requests().size()).isEqualTo(before);
  }

  @Test
  void providerFailuresAreTheFacesErrorsWithRetryAfterAndAStreamThatFailsFirstIsAJsonError() {
    HttpResponse<String> limited = client.post("/v1/chat/completions", CHAT.formatted("e2e-limited", ""), bearer(KEY_A));
    JsonNode error = openAiError(limited, 429, "rate_limited");
    assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");
    assertThat(limited.headers().firstValue("Retry-After")).contains("7");
    // The provider now cools down for as long as it asked: the next call finds no provider to ask,
    // is still rate limited (not a server error an SDK would treat as an outage), and says when to retry.
    int reached = fake.requests().size();
    HttpResponse<String> cooling = client.post("/v1/messages", CHAT.formatted("e2e-limited", ""), "x-api-key", KEY_A);
    assertThat(anthropicError(cooling, 429, "rate_limited").get("type").asText()).isEqualTo("rate_limit_error");
    assertThat(cooling.headers().firstValue("Retry-After").map(Integer::parseInt).orElseThrow()).isBetween(1, 7);
    HttpResponse<String> stream = client.post("/v1/chat/completions", CHAT.formatted("e2e-limited", ",\"stream\":true"), bearer(KEY_A));
    openAiError(stream, 429, "rate_limited");
    assertThat(fake.requests().size()).as("the provider was not asked while it cools down").isEqualTo(reached);

    HttpResponse<String> broken = client.post("/v1/messages", CHAT.formatted("e2e-broken", ",\"stream\":true"), "x-api-key", KEY_A);
    anthropicError(broken, 503, "upstream_unavailable");
    assertThat(broken.body()).doesNotContain(PROVIDER_SECRET);
  }

  // ---- calls that reach a provider

  @Test
  void embeddingsPassThroughWithGatehousesProviderKeyNotTheAgents() {
    HttpResponse<String> r = client.post("/v1/embeddings", "{\"model\":\"e2e-embed\",\"input\":[\"a\",\"b\"],\"dimensions\":3,\"x_unknown\":{\"kept\":true}}", bearer(KEY_A));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).get("data").size()).as("an embedding per input").isEqualTo(2);
    assertThat(r.headers().firstValue("X-Request-Id")).isPresent();
    FakeProvider.Request seen = last("/v1/embeddings");
    assertThat(seen.json().get("model").asText()).isEqualTo("fake-embed");
    assertThat(seen.json().get("x_unknown")).isEqualTo(parse("{\"kept\":true}"));
    assertThat(seen.json().get("dimensions").asInt()).isEqualTo(3);
    assertThat(seen.header("Authorization")).isEqualTo("Bearer " + PROVIDER_SECRET);
    assertNoAgentCredentialUpstream();
    assertThat(r.body()).doesNotContain(PROVIDER_SECRET);
  }

  @Test
  void aChatCompletionThroughTheOpenAiFaceToAnOpenAiProvider() {
    HttpResponse<String> r = client.post("/v1/chat/completions", CHAT.formatted("e2e-gpt", ",\"temperature\":0.2,\"x_vendor\":[1,2]"), bearer(KEY_A));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    assertThat(json(r).get("choices").get(0).get("message").get("content").asText()).isEqualTo("hello from the fake");
    FakeProvider.Request seen = last("/v1/chat/completions");
    assertThat(seen.json().get("model").asText()).isEqualTo("fake-gpt");
    assertThat(seen.json().get("x_vendor")).isEqualTo(parse("[1,2]"));
    assertThat(seen.json().get("temperature").asDouble()).isEqualTo(0.2);
    assertNoAgentCredentialUpstream();
  }

  @Test
  void aMessageThroughTheAnthropicFaceToAnAnthropicProvider() {
    HttpResponse<String> r = client.post("/v1/messages", CHAT.formatted("e2e-claude", ""), "x-api-key", KEY_A, "anthropic-version", "2023-06-01");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode message = json(r);
    assertThat(message.get("type").asText()).isEqualTo("message");
    assertThat(message.get("content").get(0).get("text").asText()).isEqualTo("hello from the fake");
    FakeProvider.Request seen = last("/v1/messages");
    assertThat(seen.header("x-api-key")).isEqualTo(PROVIDER_SECRET);
    assertNoAgentCredentialUpstream();
  }

  /**
   * The Anthropic betas a caller asks for reach an Anthropic provider when the configuration lets
   * them (they were never passed on, so a Claude client's interleaved thinking was off), the others
   * are dropped and named in the answer, and none reaches a provider the call is translated for.
   */
  @Test
  void anthropicBetasTheConfigurationAllowsReachAnAnthropicProviderAndTheOthersAreNamedAsDropped() {
    HttpResponse<String> r = client.post("/v1/messages", CHAT.formatted("e2e-claude", ""), "x-api-key", KEY_A, "anthropic-version", "2023-06-01",
        "anthropic-beta", "interleaved-thinking-2025-05-14, mcp-client-2025-04-04", "anthropic-beta", "output-128k-2025-02-19");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(last("/v1/messages").header("anthropic-beta")).isEqualTo("interleaved-thinking-2025-05-14,output-128k-2025-02-19");
    assertThat(r.headers().firstValue("Gatehouse-Dropped-Betas")).hasValue("mcp-client-2025-04-04");

    HttpResponse<String> none = client.post("/v1/messages", CHAT.formatted("e2e-claude", ""), "x-api-key", KEY_A);
    assertThat(none.statusCode()).as(none.body()).isEqualTo(200);
    assertThat(last("/v1/messages").header("anthropic-beta")).isNull();
    assertThat(none.headers().firstValue("Gatehouse-Dropped-Betas")).isEmpty();

    HttpResponse<String> translated = client.post("/v1/messages", CHAT.formatted("e2e-gpt", ""), "x-api-key", KEY_A,
        "anthropic-beta", "interleaved-thinking-2025-05-14");
    assertThat(translated.statusCode()).as(translated.body()).isEqualTo(200);
    assertThat(last("/v1/chat/completions").header("anthropic-beta")).isNull();
    HttpResponse<String> openAiFace = client.post("/v1/chat/completions", CHAT.formatted("e2e-claude", ""), "Authorization", "Bearer " + KEY_A,
        "anthropic-beta", "interleaved-thinking-2025-05-14");
    assertThat(openAiFace.statusCode()).as(openAiFace.body()).isEqualTo(200);
    assertThat(last("/v1/messages").header("anthropic-beta")).as("the OpenAI face reads no Anthropic header").isNull();

    int before = fake.requests().size();
    JsonNode bad = anthropicError(client.post("/v1/messages", CHAT.formatted("e2e-claude", ""), "x-api-key", KEY_A,
        "anthropic-beta", "interleaved thinking"), 400, "invalid_request");
    assertThat(bad.get("message").asText()).contains("anthropic-beta");
    String many = IntStream.range(0, 33).mapToObj(i -> "b" + i).collect(Collectors.joining(","));
    anthropicError(client.post("/v1/messages", CHAT.formatted("e2e-claude", ""), "x-api-key", KEY_A, "anthropic-beta", many), 400, "invalid_request");
    assertThat(fake.requests()).as("nothing refused went upstream").hasSize(before);
  }

  @Test
  void eachFaceReachesTheOtherProviderType() {
    HttpResponse<String> openAiToAnthropic = client.post("/v1/chat/completions", CHAT.formatted("e2e-claude", ""), bearer(KEY_A));
    assertThat(openAiToAnthropic.statusCode()).as(openAiToAnthropic.body()).isEqualTo(200);
    assertThat(json(openAiToAnthropic).get("choices").get(0).get("message").get("content").asText()).isEqualTo("hello from the fake");
    HttpResponse<String> anthropicToOpenAi = client.post("/v1/messages", CHAT.formatted("e2e-gpt", ""), "x-api-key", KEY_A);
    assertThat(anthropicToOpenAi.statusCode()).as(anthropicToOpenAi.body()).isEqualTo(200);
    assertThat(json(anthropicToOpenAi).get("content").get(0).get("text").asText()).isEqualTo("hello from the fake");

    // Structured output, each way: OpenAI's json_schema response format is Anthropic's
    // output_config.format, and back (they were refused, and dropped).
    String schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},\"required\":[\"n\"],\"additionalProperties\":false}";
    HttpResponse<String> structured = client.post("/v1/chat/completions", CHAT.formatted("e2e-claude",
        ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"pick\",\"strict\":true,\"schema\":" + schema + "}}"), bearer(KEY_A));
    assertThat(structured.statusCode()).as(structured.body()).isEqualTo(200);
    JsonNode sent = last("/v1/messages").json();
    assertThat(sent.at("/output_config/format/type").asText()).as(sent.toString()).isEqualTo("json_schema");
    assertThat(sent.at("/output_config/format/schema")).isEqualTo(parse(schema));
    assertThat(sent.has("response_format")).isFalse();
    HttpResponse<String> back = client.post("/v1/messages", CHAT.formatted("e2e-gpt",
        ",\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":" + schema + "}}"), "x-api-key", KEY_A);
    assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
    sent = last("/v1/chat/completions").json();
    assertThat(sent.at("/response_format/type").asText()).as(sent.toString()).isEqualTo("json_schema");
    assertThat(sent.at("/response_format/json_schema/strict").asBoolean(true)).isFalse();
    assertThat(sent.at("/response_format/json_schema/schema")).isEqualTo(parse(schema));
    assertThat(sent.has("output_config")).isFalse();
  }

  // ---- streams

  @Test
  void aStreamThroughTheOpenAiFaceArrivesAsServerSentEvents() throws Exception {
    for (String model : List.of("e2e-gpt", "e2e-claude")) {
      Raw raw = Raw.post(gh.api(), "/v1/chat/completions", CHAT.formatted(model, ",\"stream\":true"), "Authorization", "Bearer " + KEY_A);
      String text = raw.readAll();
      assertThat(raw.head).as(model + ": " + raw.head).startsWith("HTTP/1.1 200");
      assertThat(raw.header("Content-Type")).startsWith("text/event-stream");
      assertThat(raw.header("Cache-Control")).isEqualTo("no-cache");
      assertThat(raw.header("X-Accel-Buffering")).isEqualTo("no");
      assertThat(raw.header("X-Request-Id")).isNotNull();
      StringBuilder content = new StringBuilder();
      List<String> data = dataLines(text);
      assertThat(data).as(text).isNotEmpty();
      assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
      for (String d : data.subList(0, data.size() - 1)) {
        JsonNode chunk = parse(d);
        assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
        for (JsonNode choice : chunk.get("choices")) {
          content.append(choice.path("delta").path("content").asText(""));
        }
      }
      assertThat(content.toString()).as(model).isEqualTo("hello from the fake");
    }
  }

  @Test
  void aStreamThroughTheAnthropicFaceArrivesAsNamedEvents() throws Exception {
    for (String model : List.of("e2e-claude", "e2e-gpt")) {
      Raw raw = Raw.post(gh.api(), "/v1/messages", CHAT.formatted(model, ",\"stream\":true"), "x-api-key", KEY_A, "anthropic-version", "2023-06-01");
      String text = raw.readAll();
      assertThat(raw.head).as(model + ": " + raw.head).startsWith("HTTP/1.1 200");
      assertThat(raw.header("Content-Type")).startsWith("text/event-stream");
      List<String> names = new ArrayList<>();
      StringBuilder content = new StringBuilder();
      for (String block : text.split("\n\n")) {
        String name = null;
        String data = null;
        for (String line : block.split("\n")) {
          if (line.startsWith("event: ")) {
            name = line.substring(7);
          } else if (line.startsWith("data: ")) {
            data = line.substring(6);
          }
        }
        if (name == null) {
          continue;
        }
        names.add(name);
        JsonNode event = parse(data);
        assertThat(event.get("type").asText()).isEqualTo(name);
        if (name.equals("content_block_delta")) {
          content.append(event.get("delta").path("text").asText(""));
        }
      }
      assertThat(names).as(model + ": " + text).startsWith("message_start").endsWith("message_stop");
      assertThat(content.toString()).as(model).isEqualTo("hello from the fake");
    }
  }

  @Test
  void aClientThatLeavesMidStreamStopsTheUpstream() throws Exception {
    for (String[] face : List.of(
        new String[] {"/v1/chat/completions", "e2e-slow", "Authorization", "Bearer " + KEY_A},
        new String[] {"/v1/messages", "e2e-slow-claude", "x-api-key", KEY_A})) {
      int requestsBefore = fake.requests().size();
      int closedBefore = fake.clientClosed();
      Raw raw = Raw.post(gh.api(), face[0], CHAT.formatted(face[1], ",\"stream\":true"), face[2], face[3]);
      assertThat(raw.head).startsWith("HTTP/1.1 200");
      raw.readUntil("data: ");
      long left = System.nanoTime();
      raw.close();
      // The whole stream takes SLOW_CHUNKS x SLOW_PACE (10 s): Gatehouse must hang up on the fake long before.
      assertThat(fake.awaitClientClosed(closedBefore + 1, Duration.ofSeconds(10))).as(face[0] + ": the fake saw its connection closed").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - left)).as(face[0] + ": the upstream stopped long before its end")
          .isLessThan(SLOW_PACE.multipliedBy(SLOW_CHUNKS / 2));
      // (by request, not by a count: an earlier test's answer may be counted after this one began)
      assertThat(fake.completedRequests()).as(face[0] + ": the fake never finished the stream")
          .noneMatch(r -> "slow".equals(r.model()));
      List<FakeProvider.Request> seen = fake.requests();
      assertThat(seen.subList(requestsBefore, seen.size())).anyMatch(r -> "slow".equals(r.model()));
    }
  }

  /**
   * While the provider is quiet (a model that thinks before it answers) the client's stream gets
   * SSE comments: a proxy that closes connections idle for a minute closed such streams before the
   * answer came. SDKs skip them.
   */
  @Test
  void aQuietProvidersStreamKeepsItsClientAliveWithComments() throws Exception {
    for (String[] face : List.of(
        new String[] {"/v1/chat/completions", "e2e-thinker", "Authorization", "Bearer " + KEY_A},
        new String[] {"/v1/messages", "e2e-thinker-claude", "x-api-key", KEY_A})) {
      Raw raw = Raw.post(gh.api(), face[0], CHAT.formatted(face[1], ",\"stream\":true"), face[2], face[3]);
      assertThat(raw.head).startsWith("HTTP/1.1 200");
      String body = raw.readAll();
      int first = body.indexOf("data: ");
      assertThat(body.substring(0, first)).as(face[0] + ": keep-alives before the first event: " + body).contains(": keep-alive\n\n");
      assertThat(body.substring(first)).as(face[0] + ": and between events: " + body).contains(": keep-alive\n\n");
      assertThat(body).as(face[0]).contains("thought", "through");
    }
    // The SDKs' readers skip them.
    assertThat(ModelSdks.openai(gh.api() + "/v1", KEY_A, "e2e-thinker", "stream").path("content").asText()).isEqualTo("thought it through");
    assertThat(ModelSdks.anthropic(gh.api(), KEY_A, "e2e-thinker-claude", "stream").path("streamedText").asText()).isEqualTo("thought it through");
  }

  /**
   * A client that leaves while the provider is quiet is found by a keep-alive, and the call ends
   * then as the client's leaving: it was held until the provider spoke again (here 8 s on).
   */
  @Test
  void aClientThatLeavesWhileTheProviderIsQuietIsFoundByAKeepAlive() throws Exception {
    Raw raw = Raw.post(gh.api(), "/v1/chat/completions", CHAT.formatted("e2e-deep-thinker", ",\"stream\":true"), "Authorization", "Bearer " + KEY_A);
    assertThat(raw.head).startsWith("HTTP/1.1 200");
    raw.readUntil("data: ");
    raw.close();

    String outcome = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (outcome == null && System.nanoTime() < deadline) {
      Thread.sleep(100);
      gh.application().usage().flush();
      outcome = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT outcome FROM model_usage WHERE model = 'e2e-deep-thinker'")
          .mapTo(String.class).findFirst().orElse(null));
    }
    assertThat(outcome).as("recorded as the client's leaving before the provider spoke again").isEqualTo("client_closed");
  }

  // ---- helpers

  static FakeProvider.Request last(String path) {
    List<FakeProvider.Request> seen = fake.requests(path);
    if (seen.isEmpty()) {
      throw new AssertionError("the fake saw no request to " + path);
    }
    return seen.get(seen.size() - 1);
  }

  static void assertNoAgentCredentialUpstream() {
    for (FakeProvider.Request seen : fake.requests()) {
      assertThat(seen.mentions(KEY_A)).as(seen.path() + " " + seen.headers()).isFalse();
      assertThat(seen.mentions(limitedKey)).as(seen.path() + " " + seen.headers()).isFalse();
    }
  }

  static JsonNode parse(String text) {
    try {
      return FaceClient.JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  static List<String> dataLines(String sse) {
    List<String> out = new ArrayList<>();
    for (String line : sse.split("\n")) {
      if (line.startsWith("data: ")) {
        out.add(line.substring(6));
      }
    }
    return out;
  }

  /** One HTTP/1.1 exchange on a socket of its own, read as it arrives, that a test can drop at any point. */
  static final class Raw implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    String head;

    private Raw(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
    }

    static Raw post(String base, String path, String body, String... headers) throws IOException {
      URI uri = URI.create(base);
      Raw raw = new Raw(new Socket(uri.getHost(), uri.getPort()));
      raw.socket.setSoTimeout(30_000);
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      StringBuilder req = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n");
      for (int i = 0; i < headers.length; i += 2) {
        req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      }
      req.append("Content-Length: ").append(bytes.length).append("\r\n\r\n");
      raw.socket.getOutputStream().write(req.toString().getBytes(StandardCharsets.UTF_8));
      raw.socket.getOutputStream().write(bytes);
      raw.socket.getOutputStream().flush();
      raw.head = raw.readUntil("\r\n\r\n");
      return raw;
    }

    String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }

    String readUntil(String marker) throws IOException {
      ByteArrayOutputStream seen = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        seen.write(b);
        if (seen.toString(StandardCharsets.UTF_8).endsWith(marker)) {
          break;
        }
      }
      return seen.toString(StandardCharsets.UTF_8);
    }

    /** The rest of the body (chunked framing removed). */
    String readAll() throws IOException {
      byte[] rest = in.readAllBytes();
      close();
      String text = new String(rest, StandardCharsets.ISO_8859_1);
      if (!"chunked".equalsIgnoreCase(header("Transfer-Encoding"))) {
        return new String(rest, StandardCharsets.UTF_8);
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      int at = 0;
      while (at < text.length()) {
        int eol = text.indexOf("\r\n", at);
        int size = Integer.parseInt(text.substring(at, eol).split(";")[0].trim(), 16);
        if (size == 0) {
          break;
        }
        body.write(rest, eol + 2, size);
        at = eol + 2 + size + 2;
      }
      return body.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
