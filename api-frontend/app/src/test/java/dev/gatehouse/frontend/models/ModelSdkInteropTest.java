package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI and Anthropic SDKs, as agents use them, through Gatehouse's model faces to
 * real providers on loopback: {@code @dwmkerr/mock-llm} (a real OpenAI-compatible mock server) and
 * the project's {@link FakeProvider} (OpenAI and Anthropic sides; it streams tool calls, which
 * mock-llm cannot). Both directions of translation are crossed: the Anthropic SDK to an OpenAI
 * provider, the OpenAI SDK to an Anthropic one. What reached the provider is checked too: the
 * provider's key, never the agent's.
 */
class ModelSdkInteropTest {
  private static final String KEY = TestGatehouse.KEY_A;
  private static final String FAKE_SECRET = "sk-fake-provider-SECRET-0123456789";
  private static final String MOCK_SECRET = "sk-mock-provider-SECRET-0123456789";
  private static final Reply HELLO = Reply.text("Hello through Gatehouse.").withUsage(21, 5).withFragments(4);
  private static final Reply WEATHER =
      Reply.toolCall("call_w1", "get_weather", "{\"city\":\"Paris\"}").withUsage(30, 9).withFragments(5);

  private static FakeProvider fake;
  private static ModelSdks.MockLlm mock;
  private static TestGatehouse g;

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeProvider();
    mock = new ModelSdks.MockLlm();
    g = TestGatehouse.start();
    ok(g.put("/admin/v1/secrets/fake-provider-key", ADMIN_KEY, "{\"value\":\"" + FAKE_SECRET + "\"}"));
    ok(g.put("/admin/v1/secrets/mock-llm-key", ADMIN_KEY, "{\"value\":\"" + MOCK_SECRET + "\"}"));
    provider("mockllm", "openai", mock.openaiBase(), "mock-llm-key");
    provider("fake-openai", "openai", fake.openaiBase(), "fake-provider-key");
    provider("fake-anthropic", "anthropic", fake.anthropicBase(), "fake-provider-key");
    model("mock", "mockllm", "mock-model");
    model("fake-gpt", "fake-openai", "fake-gpt-upstream");
    model("fake-claude", "fake-anthropic", "fake-claude-upstream");
    model("fake-embed", "fake-openai", "fake-embed-upstream");
    model("forbidden-model", "fake-openai", "fake-gpt-upstream");
    // Agent a may use every model but the forbidden one.
    JsonNode agents = TestGatehouse.json(g.get("/admin/v1/agents?limit=200", ADMIN_KEY));
    String id = null;
    for (JsonNode a : agents.path("items")) {
      if (a.path("name").asText().equals("agent-a")) {
        id = a.path("id").asText();
      }
    }
    assertThat(id).as(agents.toString()).isNotNull();
    ok(g.put("/admin/v1/agents/" + id, ADMIN_KEY,
        "{\"name\":\"agent-a\",\"tools\":{\"allow\":[\"*\"]},\"workflows\":{\"allow\":[\"*\"]},"
            + "\"models\":{\"allow\":[\"*\"],\"deny\":[\"forbidden-*\"]}}"));
  }

  @AfterAll
  static void stop() {
    if (g != null) {
      g.close();
    }
    if (mock != null) {
      mock.close();
    }
    if (fake != null) {
      fake.close();
    }
  }

  @BeforeEach
  void resetFake() {
    fake.reset();
  }

  private static void ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
  }

  private static void provider(String name, String type, String baseUrl, String secret) {
    ok(g.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"" + name + "\",\"type\":\"" + type + "\",\"baseUrl\":\""
        + baseUrl + "\",\"apiKey\":\"{{secret:" + secret + "}}\",\"timeout\":\"20s\"}"));
  }

  private static void model(String alias, String provider, String upstream) {
    ok(g.post("/admin/v1/models", ADMIN_KEY, "{\"name\":\"" + alias + "\",\"targets\":[{\"provider\":\"" + provider
        + "\",\"model\":\"" + upstream + "\"}]}"));
  }

  private static String openaiBase() {
    return g.api() + "/v1";
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Every request the fake saw carried the provider's key and nothing of the agent's. */
  private static void onlyTheProviderKeyReachedTheFake(String credentialHeader, String prefix) {
    assertThat(fake.requests()).isNotEmpty();
    for (FakeProvider.Request r : fake.requests()) {
      assertThat(r.mentions(KEY)).as("the agent's key reached the provider: " + r).isFalse();
      assertThat(r.header(credentialHeader)).as(r.headers().toString()).isEqualTo(prefix + FAKE_SECRET);
    }
  }

  private static void noSecretIn(JsonNode answer) {
    assertThat(answer.toString()).doesNotContain(FAKE_SECRET).doesNotContain(MOCK_SECRET);
  }

  @Test
  void anAgentTaskRunsItsLoopThroughTheRealMockLlmServer() {
    // mock-llm asks for get_weather whenever tools are offered, and answers once it reads a tool result.
    assertThat(g.post("/admin/v1/tools", ADMIN_KEY,
        "{\"name\":\"get_weather\",\"http\":{\"method\":\"GET\",\"url\":\"" + g.tools.base() + "/weather/{city}\"},"
            + "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}")
        .statusCode()).isEqualTo(201);
    String id = g.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"mock\",\"goal\":\"Weather in Paris?\",\"tools\":[\"get_weather\"]}}");
    JsonNode task = g.await(id);

    assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("COMPLETED");
    JsonNode result = task.get("result");
    assertThat(result.get("stopReason").asText()).isEqualTo("completed");
    assertThat(result.get("content").asText()).isEqualTo("mock-llm read the weather.");
    assertThat(result.get("steps").asInt()).isEqualTo(2);
    assertThat(result.get("usage").get("totalTokens").asLong()).isEqualTo(28 + 35);
    assertThat(g.tools.requests).contains("GET /weather/Paris");
    JsonNode steps = TestGatehouse.json(g.get("/v1/tasks/" + id + "/trace", KEY)).get("steps");
    assertThat(steps).extracting(st -> st.get("name").asText()).containsExactly("mock", "get_weather", "mock");
    assertThat(steps.get(0).get("model").get("provider").asText()).isEqualTo("mockllm");
  }

  @Test
  void openAiSdkChatStreamAndToolsToMockLlm() {
    JsonNode chat = ModelSdks.openai(openaiBase(), KEY, "mock", "chat");
    assertThat(chat.path("content").asText()).isEqualTo("Hello from mock-llm.");
    assertThat(chat.path("finish_reason").asText()).isEqualTo("stop");
    assertThat(chat.at("/usage/prompt_tokens").asInt()).isEqualTo(9);
    assertThat(chat.at("/usage/completion_tokens").asInt()).isEqualTo(4);
    noSecretIn(chat);

    JsonNode stream = ModelSdks.openai(openaiBase(), KEY, "mock", "stream");
    assertThat(stream.path("content").asText()).isEqualTo("Hello from mock-llm.");
    assertThat(stream.path("finish_reason").asText()).isEqualTo("stop");
    assertThat(stream.path("chunks").asInt()).isGreaterThan(1);

    JsonNode tools = ModelSdks.openai(openaiBase(), KEY, "mock", "tools");
    assertThat(tools.path("finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(tools.at("/toolCalls/0/name").asText()).isEqualTo("get_weather");
    assertThat(tools.at("/toolCalls/0/arguments/city").asText()).isEqualTo("Paris");
  }

  @Test
  void openAiSdkChatAndStreamsToTheFakeWithUsageOnlyWhenAsked() {
    fake.script(HELLO);
    JsonNode chat = ModelSdks.openai(openaiBase(), KEY, "fake-gpt", "chat");
    assertThat(chat.path("content").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(chat.at("/usage/prompt_tokens").asInt()).isEqualTo(21);
    assertThat(chat.at("/usage/completion_tokens").asInt()).isEqualTo(5);
    FakeProvider.Request sent = fake.last();
    assertThat(sent.path()).isEqualTo("/v1/chat/completions");
    assertThat(sent.model()).isEqualTo("fake-gpt-upstream");
    assertThat(sent.json().at("/messages/0/content").asText()).isEqualTo("You are terse.");
    noSecretIn(chat);

    // Gatehouse asks the provider for usage on a stream, and strips that chunk when the client did not.
    JsonNode stream = ModelSdks.openai(openaiBase(), KEY, "fake-gpt", "stream");
    assertThat(stream.path("content").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(stream.path("finish_reason").asText()).isEqualTo("stop");
    assertThat(stream.path("usageChunks").asInt()).isZero();
    assertThat(fake.last().stream()).isTrue();

    JsonNode withUsage = ModelSdks.openai(openaiBase(), KEY, "fake-gpt", "stream-usage");
    assertThat(withUsage.path("content").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(withUsage.path("usageChunks").asInt()).isEqualTo(1);
    assertThat(withUsage.at("/usage/prompt_tokens").asInt()).isEqualTo(21);
    assertThat(withUsage.at("/usage/completion_tokens").asInt()).isEqualTo(5);
    onlyTheProviderKeyReachedTheFake("authorization", "Bearer ");
  }

  @Test
  void openAiSdkToolCallsStreamedInFragmentsFromTheFake() {
    fake.script(WEATHER);
    JsonNode tools = ModelSdks.openai(openaiBase(), KEY, "fake-gpt", "tools");
    assertThat(tools.path("finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(tools.at("/toolCalls/0/id").asText()).isEqualTo("call_w1");
    assertThat(tools.at("/toolCalls/0/arguments/city").asText()).isEqualTo("Paris");
    assertThat(fake.last().json().at("/tools/0/function/name").asText()).isEqualTo("get_weather");

    JsonNode streamed = ModelSdks.openai(openaiBase(), KEY, "fake-gpt", "stream-tools");
    assertThat(streamed.path("finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(streamed.at("/toolCalls/0/id").asText()).isEqualTo("call_w1");
    assertThat(streamed.at("/toolCalls/0/name").asText()).isEqualTo("get_weather");
    assertThat(streamed.at("/toolCalls/0/arguments/city").asText()).isEqualTo("Paris");
    // The fragments came through as fragments: relayed, not gathered into one chunk.
    assertThat(streamed.path("chunks").asInt()).isGreaterThanOrEqualTo(5);
    onlyTheProviderKeyReachedTheFake("authorization", "Bearer ");
  }

  @Test
  void anthropicSdkTranslatedToAnOpenAiProvider() {
    fake.script(HELLO);
    JsonNode chat = ModelSdks.anthropic(g.api(), KEY, "fake-gpt", "chat");
    assertThat(chat.path("type").asText()).isEqualTo("message");
    assertThat(chat.path("role").asText()).isEqualTo("assistant");
    assertThat(chat.path("text").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(chat.path("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(chat.at("/usage/input_tokens").asInt()).isEqualTo(21);
    assertThat(chat.at("/usage/output_tokens").asInt()).isEqualTo(5);
    FakeProvider.Request sent = fake.last();
    assertThat(sent.path()).isEqualTo("/v1/chat/completions");
    assertThat(sent.json().at("/messages/0/role").asText()).isEqualTo("system");
    assertThat(sent.json().at("/messages/0/content").toString()).contains("You are terse.");
    noSecretIn(chat);

    JsonNode stream = ModelSdks.anthropic(g.api(), KEY, "fake-gpt", "stream");
    assertThat(stream.path("streamedText").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(stream.path("text").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(texts(stream.path("events"))).startsWith("message_start").endsWith("message_stop")
        .contains("content_block_start", "content_block_delta", "content_block_stop", "message_delta");
    assertThat(stream.path("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(stream.at("/usage/output_tokens").asInt()).isEqualTo(5);

    fake.script(WEATHER);
    for (String mode : List.of("tools", "stream-tools")) {
      JsonNode tools = ModelSdks.anthropic(g.api(), KEY, "fake-gpt", mode);
      assertThat(tools.path("stop_reason").asText()).as(mode).isEqualTo("tool_use");
      assertThat(tools.at("/toolUses/0/name").asText()).as(mode).isEqualTo("get_weather");
      assertThat(tools.at("/toolUses/0/id").asText()).as(mode).isNotEmpty();
      assertThat(tools.at("/toolUses/0/input/city").asText()).as(mode).isEqualTo("Paris");
      JsonNode tool = fake.last().json().at("/tools/0");
      assertThat(tool.at("/type").asText()).as(mode).isEqualTo("function");
      assertThat(tool.at("/function/name").asText()).as(mode).isEqualTo("get_weather");
      assertThat(tool.at("/function/parameters/required/0").asText()).as(mode).isEqualTo("city");
    }
    onlyTheProviderKeyReachedTheFake("authorization", "Bearer ");

    // And to mock-llm, a real OpenAI-compatible server.
    JsonNode mocked = ModelSdks.anthropic(g.api(), KEY, "mock", "chat");
    assertThat(mocked.path("text").asText()).isEqualTo("Hello from mock-llm.");
    assertThat(mocked.at("/usage/output_tokens").asInt()).isEqualTo(4);
  }

  @Test
  void anthropicSdkToAnAnthropicProvider() {
    fake.script(HELLO);
    JsonNode chat = ModelSdks.anthropic(g.api(), KEY, "fake-claude", "chat");
    assertThat(chat.path("text").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(chat.path("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(chat.at("/usage/input_tokens").asInt()).isEqualTo(21);
    FakeProvider.Request sent = fake.last();
    assertThat(sent.path()).isEqualTo("/v1/messages");
    assertThat(sent.model()).isEqualTo("fake-claude-upstream");
    assertThat(sent.json().path("system").toString()).contains("You are terse.");
    assertThat(sent.header("anthropic-version")).isNotBlank();

    // The key as an x-api-key header, as older Anthropic SDKs send it.
    JsonNode stream = ModelSdks.anthropic(g.api(), KEY, "fake-claude", "stream", "x-api-key");
    assertThat(stream.path("streamedText").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(texts(stream.path("events"))).startsWith("message_start").endsWith("message_stop");
    assertThat(stream.at("/usage/output_tokens").asInt()).isEqualTo(5);

    fake.script(WEATHER);
    for (String mode : List.of("tools", "stream-tools")) {
      JsonNode tools = ModelSdks.anthropic(g.api(), KEY, "fake-claude", mode);
      assertThat(tools.path("stop_reason").asText()).as(mode).isEqualTo("tool_use");
      assertThat(tools.at("/toolUses/0/id").asText()).as(mode).isEqualTo("call_w1");
      assertThat(tools.at("/toolUses/0/name").asText()).as(mode).isEqualTo("get_weather");
      assertThat(tools.at("/toolUses/0/input/city").asText()).as(mode).isEqualTo("Paris");
      assertThat(fake.last().json().at("/tools/0/input_schema/required/0").asText()).as(mode).isEqualTo("city");
      noSecretIn(tools);
    }
    onlyTheProviderKeyReachedTheFake("x-api-key", "");
  }

  @Test
  void openAiSdkTranslatedToAnAnthropicProvider() {
    fake.script(HELLO);
    JsonNode chat = ModelSdks.openai(openaiBase(), KEY, "fake-claude", "chat");
    assertThat(chat.path("content").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(chat.path("finish_reason").asText()).isEqualTo("stop");
    assertThat(chat.at("/usage/prompt_tokens").asInt()).isEqualTo(21);
    assertThat(chat.at("/usage/completion_tokens").asInt()).isEqualTo(5);
    assertThat(fake.last().path()).isEqualTo("/v1/messages");
    assertThat(fake.last().json().path("system").toString()).contains("You are terse.");

    JsonNode stream = ModelSdks.openai(openaiBase(), KEY, "fake-claude", "stream-usage");
    assertThat(stream.path("content").asText()).isEqualTo("Hello through Gatehouse.");
    assertThat(stream.at("/usage/completion_tokens").asInt()).isEqualTo(5);

    fake.script(WEATHER);
    JsonNode tools = ModelSdks.openai(openaiBase(), KEY, "fake-claude", "stream-tools");
    assertThat(tools.path("finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(tools.at("/toolCalls/0/name").asText()).isEqualTo("get_weather");
    assertThat(tools.at("/toolCalls/0/arguments/city").asText()).isEqualTo("Paris");
    onlyTheProviderKeyReachedTheFake("x-api-key", "");
  }

  @Test
  void modelsListShowsWhatTheAgentMayUse() {
    List<String> openai = texts(ModelSdks.openai(openaiBase(), KEY, "-", "models").path("models"));
    assertThat(openai).contains("mock", "fake-gpt", "fake-claude", "fake-embed").doesNotContain("forbidden-model");
    List<String> anthropic = texts(ModelSdks.anthropic(g.api(), KEY, "-", "models").path("models"));
    assertThat(anthropic).containsExactlyInAnyOrderElementsOf(openai);
    assertThat(fake.requests()).as("listing models calls no provider").isEmpty();
  }

  @Test
  void embeddingsPassThroughTheOpenAiSdk() {
    JsonNode e = ModelSdks.openai(openaiBase(), KEY, "fake-embed", "embeddings");
    assertThat(e.path("count").asInt()).isEqualTo(2);
    assertThat(e.path("dimensions").asInt()).isEqualTo(8);
    assertThat(e.path("numbers").asBoolean()).isTrue();
    assertThat(fake.last().path()).isEqualTo("/v1/embeddings");
    assertThat(fake.last().model()).isEqualTo("fake-embed-upstream");
    onlyTheProviderKeyReachedTheFake("authorization", "Bearer ");
  }

  @Test
  void unknownAndForbiddenModelsAreTheSdksOwnErrors() {
    JsonNode unknown = ModelSdks.openai(openaiBase(), KEY, "no-such-model", "error");
    assertThat(unknown.path("errorClass").asText()).as(unknown.toString()).isEqualTo("NotFoundError");
    assertThat(unknown.path("notFound").asBoolean()).isTrue();
    assertThat(unknown.path("status").asInt()).isEqualTo(404);
    assertThat(unknown.path("code").asText()).isEqualTo("model_not_found");

    JsonNode forbidden = ModelSdks.openai(openaiBase(), KEY, "forbidden-model", "error");
    assertThat(forbidden.path("errorClass").asText()).as(forbidden.toString()).isEqualTo("PermissionDeniedError");
    assertThat(forbidden.path("permissionDenied").asBoolean()).isTrue();
    assertThat(forbidden.path("status").asInt()).isEqualTo(403);
    assertThat(forbidden.path("code").asText()).isEqualTo("model_not_allowed");

    JsonNode unknownA = ModelSdks.anthropic(g.api(), KEY, "no-such-model", "error");
    assertThat(unknownA.path("errorClass").asText()).as(unknownA.toString()).isEqualTo("NotFoundError");
    assertThat(unknownA.path("status").asInt()).isEqualTo(404);
    assertThat(unknownA.path("envelope").asText()).isEqualTo("error");
    assertThat(unknownA.path("type").asText()).isEqualTo("not_found_error");

    JsonNode forbiddenA = ModelSdks.anthropic(g.api(), KEY, "forbidden-model", "error", "x-api-key");
    assertThat(forbiddenA.path("errorClass").asText()).as(forbiddenA.toString()).isEqualTo("PermissionDeniedError");
    assertThat(forbiddenA.path("status").asInt()).isEqualTo(403);
    assertThat(forbiddenA.path("type").asText()).isEqualTo("permission_error");

    assertThat(fake.requests()).as("a refused call reaches no provider").isEmpty();
  }
}
