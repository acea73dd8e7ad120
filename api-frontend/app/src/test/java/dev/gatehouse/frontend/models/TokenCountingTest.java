package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.translate.Translation;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's token counting ({@code POST /v1/messages/count_tokens}, which Claude Code needs of a
 * gateway) through Gatehouse: counted by an Anthropic-type provider (a {@link FakeProvider}, a fake
 * LLM) with Gatehouse's key, or by Gatehouse for a model an OpenAI-type provider serves, and
 * governed as the call it counts for (the agent's models, request policies, a rate limit's
 * requests) while it spends nothing (no tokens taken, no budget, no usage row). The official
 * Anthropic SDK makes the calls where it can.
 */
class TokenCountingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "sk-count-provider-SECRET-0123456789";
  private static final String[] SDK = {"anthropic-version", "2023-06-01"};

  private static TestGatehouse gh;
  private static FakeProvider fake;

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeProvider();
    gh = TestGatehouse.start(c -> c.getCaches().setPolicies(io.dropwizard.util.Duration.seconds(0)));
    ok(gh.put("/admin/v1/secrets/count-key", ADMIN_KEY, "{\"value\":\"" + SECRET + "\"}"));
    provider("count-anthropic", "anthropic", fake.anthropicBase());
    provider("count-anthropic-2", "anthropic", fake.anthropicBase());
    provider("count-openai", "openai", fake.openaiBase());
    model("claude-c", "{\"provider\":\"count-anthropic\",\"model\":\"claude-upstream\"}");
    model("gpt-c", "{\"provider\":\"count-openai\",\"model\":\"gpt-upstream\"}");
    // An alias whose one target fails, and its fallback, which counts.
    model("claude-second", "{\"provider\":\"count-anthropic-2\",\"model\":\"claude-second-upstream\"}");
    ok(gh.post("/admin/v1/models", ADMIN_KEY, "{\"name\":\"claude-two\",\"targets\":[{\"provider\":\"count-anthropic\","
        + "\"model\":\"claude-first\"}],\"fallbacks\":[\"claude-second\"],\"retry\":{\"maxAttempts\":1}}"));
    model("forbidden-c", "{\"provider\":\"count-anthropic\",\"model\":\"claude-upstream\"}");
    gh.letAgentAUseModelsBut("forbidden-*");
  }

  @AfterAll
  static void stop() {
    if (gh != null) {
      gh.close();
    }
    if (fake != null) {
      fake.close();
    }
  }

  @AfterEach
  void reset() {
    fake.reset();
    gh.deletePolicies();
  }

  @Test
  void theAnthropicSdkCountsThroughAnAnthropicProviderWithGatehousesKey() {
    fake.script(Reply.text("unused").withUsage(1234, 1));
    JsonNode counted = ModelSdks.anthropic(gh.api(), KEY_A, "claude-c", "count", "x-api-key");
    assertThat(counted.path("input_tokens").asLong()).as(counted.toString()).isEqualTo(1234);
    assertThat(counted.path("tokenCount").asText()).isEqualTo("provider");
    assertThat(counted.path("requestId").asText()).isNotEmpty();

    FakeProvider.Request sent = fake.last();
    assertThat(sent.path()).isEqualTo("/v1/messages/count_tokens");
    assertThat(sent.model()).isEqualTo("claude-upstream");
    assertThat(sent.json().has("max_tokens")).isFalse();
    assertThat(sent.json().has("stream")).isFalse();
    assertThat(sent.json().at("/tools/0/name").asText()).isEqualTo("get_weather");
    assertThat(sent.json().path("system").asText()).isEqualTo("You are terse.");
    assertThat(sent.header("x-api-key")).isEqualTo(SECRET);
    assertThat(sent.mentions(KEY_A)).as("the agent's key reached the provider").isFalse();
    assertThat(fake.requests()).hasSize(1);
  }

  @Test
  void aModelAnOpenAiProviderServesIsCountedByGatehouseOnTheRequestItWouldBeSent() throws Exception {
    String body = "{\"model\":\"gpt-c\",\"system\":\"You are terse.\",\"messages\":[{\"role\":\"user\",\"content\":"
        + "\"How many tokens does this sentence take when it is sent to a model?\"}]}";
    HttpResponse<String> r = gh.post("/v1/messages/count_tokens", KEY_A, body, SDK);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Gatehouse-Token-Count")).contains("estimated");
    ObjectNode translated = Translation.request(Dialect.ANTHROPIC, Dialect.OPENAI, (ObjectNode) JSON.readTree(body), "gpt-upstream", false);
    long expected = TokenEstimator.inputTokens(Dialect.OPENAI, translated);
    assertThat(expected).isGreaterThan(15);
    assertThat(json(r).path("input_tokens").asLong()).isEqualTo(expected);
    assertThat(fake.requests()).as("nothing is sent to count for an OpenAI-type provider").isEmpty();

    // The SDK reads it as Anthropic's answer.
    JsonNode counted = ModelSdks.anthropic(gh.api(), KEY_A, "gpt-c", "count");
    assertThat(counted.path("input_tokens").asLong()).as(counted.toString()).isGreaterThan(expected);
    assertThat(counted.path("tokenCount").asText()).isEqualTo("estimated");
  }

  @Test
  void countsAreRefusedInAnthropicsShapeAsTheCallsTheyCountFor() {
    JsonNode forbidden = ModelSdks.anthropic(gh.api(), KEY_A, "forbidden-c", "count-error");
    assertThat(forbidden.path("status").asInt()).as(forbidden.toString()).isEqualTo(403);
    assertThat(forbidden.path("permissionDenied").asBoolean()).isTrue();
    JsonNode missing = ModelSdks.anthropic(gh.api(), KEY_A, "no-such-model", "count-error");
    assertThat(missing.path("status").asInt()).as(missing.toString()).isEqualTo(404);
    assertThat(missing.path("notFound").asBoolean()).isTrue();

    assertCode(gh.post("/v1/messages/count_tokens", KEY_A, "{\"model\":\"claude-c\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", SDK),
        400, "invalid_request", "stream");
    assertCode(gh.post("/v1/messages/count_tokens", KEY_A, "{\"model\":\"claude-c\",\"messages\":[]}", SDK), 400, "invalid_request", "messages");
    assertCode(gh.post("/v1/messages/count_tokens", KEY_A, "{\"model\":\"claude-c\",\"messages\":\"hi\"}", SDK), 400, "invalid_request", "messages");
    assertCode(gh.post("/v1/messages/count_tokens", KEY_A, "[1]", SDK), 400, "invalid_request", null);
    assertCode(gh.post("/v1/messages/count_tokens", KEY_A, "{\"model\":\"claude-c\",\"model\":\"x\",\"messages\":[]}", SDK), 400, "invalid_json", null);
    assertCode(gh.post("/v1/messages/count_tokens", KEY_A, "{\"model\":\"claude-c\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "anthropic-beta", "not a beta!"), 400, "invalid_request", null);
    assertCode(gh.get("/v1/messages/count_tokens", KEY_A), 405, "method_not_allowed", null);
    assertCode(gh.post("/v1/messages/count_tokens", null, "{\"model\":\"claude-c\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        401, "unauthorized", null);
    assertCode(gh.post("/v1/messages/count_tokens", ADMIN_KEY, "{\"model\":\"claude-c\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        403, "forbidden", null);
    assertThat(fake.requests()).as("no refused count reached the provider").isEmpty();
  }

  @Test
  void aFailingTargetFallsThroughToTheNextAndAnAnswerWithoutACountIsTheProvidersFault() {
    fake.script("claude-first", Reply.status(503));
    fake.script("claude-second-upstream", Reply.text("unused").withUsage(77, 1));
    HttpResponse<String> r = count("claude-two", "hi");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).path("input_tokens").asLong()).isEqualTo(77);
    assertThat(fake.requests()).extracting(FakeProvider.Request::model).containsExactly("claude-first", "claude-second-upstream");

    fake.reset();
    fake.script(Reply.malformed());
    assertCode(count("claude-c", "hi"), 502, "upstream_error", null);
    // A provider's refusal of the request (a member it does not take, say) is the client's 400, with its message.
    fake.reset();
    fake.script(Reply.status(400));
    assertCode(count("claude-c", "hi"), 400, "invalid_request", null);
  }

  /**
   * From a provider's count only the count reaches the agent (no answer policy reads a count, and
   * a probe's provider added text of its own); a provider with no token counting (404) has the
   * request counted by Gatehouse; and a count's failure neither cools the provider down for calls
   * (Anthropic limits counting apart from messages) nor shows the agent what an answer's PII entry
   * would withhold.
   */
  @Test
  void aCountIsTheProvidersNumberAndItsFailuresStayItsOwn() throws Exception {
    fake.script(Reply.status(200).withErrorBody(
        "{\"input_tokens\":7,\"note\":\"call bob@example.com\",\"context_management\":{\"original_input_tokens\":9,\"x\":\"y\"}}"));
    HttpResponse<String> counted = count("claude-c", "hi");
    assertThat(counted.statusCode()).as(counted.body()).isEqualTo(200);
    assertThat(json(counted)).isEqualTo(JSON.readTree("{\"input_tokens\":7,\"context_management\":{\"original_input_tokens\":9}}"));

    fake.reset();
    fake.script(Reply.status(404));
    HttpResponse<String> estimated = count("claude-c", "How many tokens does this take?");
    assertThat(estimated.statusCode()).as(estimated.body()).isEqualTo(200);
    assertThat(estimated.headers().firstValue("Gatehouse-Token-Count")).contains("estimated");
    assertThat(json(estimated).path("input_tokens").asLong()).isGreaterThan(5);

    fake.reset();
    fake.enqueue(Reply.status(429).withRetryAfter("30"));
    assertCode(count("claude-c", "hi"), 429, "rate_limited", null);
    fake.script(Reply.text("Still here.").withUsage(3, 2));
    HttpResponse<String> message = gh.post("/v1/messages", KEY_A,
        "{\"model\":\"claude-c\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", SDK);
    assertThat(message.statusCode()).as("a refused count does not cool the provider down: " + message.body()).isEqualTo(200);
    assertThat(fake.requests("/v1/messages")).hasSize(1);

    policy("count-answers", "\"pii\":{\"action\":\"redact\",\"detectors\":[\"email\"],\"on\":[\"model-answers\"]}");
    fake.reset();
    fake.script(Reply.status(400).withErrorBody(
        "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"cannot count for alice@example.com\"}}"));
    HttpResponse<String> refused = count("claude-c", "hi");
    assertCode(refused, 400, "invalid_request", "[EMAIL]");
    assertThat(refused.body()).doesNotContain("alice@example.com");
  }

  /** Content no provider takes, which request policies could not read, is refused before anything is sent. */
  @Test
  void contentThePoliciesCannotReadIsRefusedAndNeverSent() {
    policy("count-block", "\"pii\":{\"action\":\"block\",\"detectors\":[\"email\"],\"on\":[\"model-requests\"]}");
    for (String path : new String[] {"/v1/messages/count_tokens", "/v1/messages"}) {
      assertCode(gh.post(path, KEY_A,
              "{\"model\":\"claude-c\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":[\"alice@example.com\"]}]}", SDK),
          400, "invalid_request", "messages[0].content[0]");
      assertCode(gh.post(path, KEY_A,
              "{\"model\":\"claude-c\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
                  + "\"tool_use_id\":\"a\",\"content\":{\"text\":\"alice@example.com\"}}]}]}", SDK),
          400, "invalid_request", "content");
    }
    assertThat(fake.requests()).isEmpty();
    assertCode(count("claude-c", "Write to alice@example.com"), 422, "pii_detected", null);
  }

  @Test
  void requestPoliciesApplyToWhatIsCountedAndTheBetasTheFaceAllowsArePassedOn() {
    policy("count-pii", "\"pii\":{\"action\":\"redact\",\"detectors\":[\"email\"],\"on\":[\"model-requests\"]}");
    fake.script(Reply.text("unused").withUsage(12, 1));
    HttpResponse<String> r = gh.post("/v1/messages/count_tokens", KEY_A,
        "{\"model\":\"claude-c\",\"messages\":[{\"role\":\"user\",\"content\":\"Write to alice@example.com today.\"}]}",
        "anthropic-beta", "context-management-2025-06-27,context-1m-2025-08-07");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Gatehouse-Dropped-Betas")).contains("context-1m-2025-08-07");
    FakeProvider.Request sent = fake.last();
    assertThat(sent.body()).contains("[EMAIL]").doesNotContain("alice@example.com");
    assertThat(sent.header("anthropic-beta")).isEqualTo("context-management-2025-06-27");

    policy("count-guard", "\"guardrail\":{\"checks\":[\"deny-pattern\"],\"denyPatterns\":[\"project-zebra\"]}");
    fake.reset();
    assertCode(count("claude-c", "Tell me about project-zebra."), 422, "guardrail_blocked", null);
    assertThat(fake.requests()).as("a blocked count is never sent").isEmpty();
  }

  @Test
  void aCountTakesARequestFromARateLimitAndNoTokensNoBudgetAndNoUsageRow() throws Exception {
    // No count's input fits in 5 tokens, nor in a budget of 5: neither refuses a count, which spends nothing.
    policy("count-tpm", "\"rateLimit\":{\"tokensPerMinute\":5,\"per\":\"target\"}");
    policy("count-budget", "\"budget\":{\"tokens\":5,\"period\":\"day\"}");
    fake.script(Reply.text("unused").withUsage(400, 1));
    String long_ = "Count every word of this request, which is far longer than five tokens. ".repeat(5);
    HttpResponse<String> first = count("claude-c", long_);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(json(first).path("input_tokens").asLong()).isEqualTo(400);
    long tokenBuckets = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM rate_buckets WHERE key LIKE 'rl:count-tpm:%'")
        .mapTo(Long.class).one());
    assertThat(tokenBuckets).as("no tokens bucket was taken from").isZero();
    // The same request as a message is refused by both, and that refusal has its usage row.
    long beforeMessage = usageRows();
    HttpResponse<String> message = gh.post("/v1/messages", KEY_A,
        "{\"model\":\"claude-c\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"" + long_ + "\"}]}", SDK);
    assertThat(message.statusCode()).as(message.body()).isIn(402, 429);
    long usageRows = usageRows();
    assertThat(usageRows).isEqualTo(beforeMessage + 1);

    policy("count-rpm", "\"rateLimit\":{\"requestsPerMinute\":1,\"per\":\"target\"}");
    HttpResponse<String> admitted = count("claude-c", "hi");
    assertThat(admitted.statusCode()).as(admitted.body()).isEqualTo(200);
    assertThat(admitted.headers().firstValue("anthropic-ratelimit-requests-remaining")).contains("0");
    HttpResponse<String> refused = count("claude-c", "hi");
    assertCode(refused, 429, "rate_limited", null);
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();

    assertThat(usageRows()).as("a count writes no usage row").isEqualTo(usageRows);
    gh.application().audit().flush();
    JsonNode rows = json(gh.get("/admin/v1/audit?kind=model.count_tokens&limit=50", ADMIN_KEY)).get("items");
    assertThat(rows).extracting(row -> row.path("target").asText() + " " + row.path("decision").asText() + " " + row.path("outcome").asText())
        .contains("claude-c allow ok", "claude-c deny rate_limited");
  }

  private static HttpResponse<String> count(String model, String text) {
    try {
      return gh.post("/v1/messages/count_tokens", KEY_A,
          "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(text) + "}]}", SDK);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An error in Anthropic's shape with Gatehouse's {@code code} (and the member at fault in its message). */
  private static void assertCode(HttpResponse<String> r, int status, String code, String mentions) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode body = json(r);
    assertThat(body.path("type").asText()).as(r.body()).isEqualTo("error");
    assertThat(body.at("/error/code").asText()).as(r.body()).isEqualTo(code);
    if (mentions != null) {
      assertThat(body.at("/error/message").asText()).contains(mentions);
    }
  }

  private static long usageRows() throws InterruptedException {
    gh.application().usage().flush();
    return gh.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM model_usage").mapTo(Long.class).one());
  }

  /** A global policy of {@code body}'s kind governing the models this test counts for. */
  private static void policy(String name, String body) {
    String kind = body.substring(1, body.indexOf('"', 1));
    ok(gh.post("/admin/v1/policies", ADMIN_KEY, "{\"name\":\"" + name + "\",\"kind\":\"" + (kind.equals("rateLimit") ? "rate-limit" : kind)
        + "\",\"appliesTo\":{\"models\":[\"claude-*\",\"gpt-c\"]}," + body + "}"));
  }


  private static void provider(String name, String type, String baseUrl) {
    ok(gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"" + name + "\",\"type\":\"" + type + "\",\"baseUrl\":\"" + baseUrl
        + "\",\"apiKey\":\"{{secret:count-key}}\",\"timeout\":\"5s\"}"));
  }

  private static void model(String alias, String targets) {
    ok(gh.post("/admin/v1/models", ADMIN_KEY, "{\"name\":\"" + alias + "\",\"targets\":[" + targets + "],\"retry\":{\"maxAttempts\":1}}"));
  }

  private static void ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
  }
}
