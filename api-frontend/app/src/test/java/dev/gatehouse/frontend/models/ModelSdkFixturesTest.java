package dev.gatehouse.frontend.models;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official SDKs straight against the test providers, no Gatehouse between: the fake provider
 * and mock-llm speak what the SDKs parse, so when {@link ModelSdkInteropTest} fails through
 * Gatehouse, the fault is Gatehouse's and not a fixture's.
 */
class ModelSdkFixturesTest {
  private static final String KEY = "sk-direct-test";
  private static FakeProvider fake;
  private static ModelSdks.MockLlm mock;

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeProvider();
    mock = new ModelSdks.MockLlm();
  }

  @AfterAll
  static void stop() {
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

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void theOpenAiSdkReadsTheFakesOpenAiSide() {
    fake.script(Reply.text("Hello from the fake.").withUsage(12, 4)).models("fake-a", "fake-b");
    String base = fake.openaiBase();

    JsonNode chat = ModelSdks.openai(base, KEY, "m", "chat");
    assertThat(chat.path("content").asText()).isEqualTo("Hello from the fake.");
    assertThat(chat.at("/usage/prompt_tokens").asInt()).isEqualTo(12);
    assertThat(fake.last().header("authorization")).isEqualTo("Bearer " + KEY);

    JsonNode stream = ModelSdks.openai(base, KEY, "m", "stream");
    assertThat(stream.path("content").asText()).isEqualTo("Hello from the fake.");
    assertThat(stream.path("usageChunks").asInt()).isZero();
    JsonNode usage = ModelSdks.openai(base, KEY, "m", "stream-usage");
    assertThat(usage.path("usageChunks").asInt()).isEqualTo(1);
    assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(4);

    assertThat(texts(ModelSdks.openai(base, KEY, "m", "models").path("models"))).containsExactly("fake-a", "fake-b");
    JsonNode embeddings = ModelSdks.openai(base, KEY, "e", "embeddings");
    assertThat(embeddings.path("count").asInt()).isEqualTo(2);
    assertThat(embeddings.path("dimensions").asInt()).isEqualTo(8);
    assertThat(embeddings.path("numbers").asBoolean()).isTrue();

    fake.script(Reply.toolCall("call_1", "get_weather", "{\"city\":\"Paris\"}").withFragments(5));
    for (String mode : List.of("tools", "stream-tools")) {
      JsonNode tools = ModelSdks.openai(base, KEY, "m", mode);
      assertThat(tools.path("finish_reason").asText()).as(mode).isEqualTo("tool_calls");
      assertThat(tools.at("/toolCalls/0/name").asText()).as(mode).isEqualTo("get_weather");
      assertThat(tools.at("/toolCalls/0/arguments/city").asText()).as(mode).isEqualTo("Paris");
    }

    fake.script(Reply.status(404));
    JsonNode error = ModelSdks.openai(base, KEY, "m", "error");
    assertThat(error.path("errorClass").asText()).isEqualTo("NotFoundError");
    assertThat(error.path("status").asInt()).isEqualTo(404);
  }

  @Test
  void theAnthropicSdkReadsTheFakesAnthropicSide() {
    fake.script(Reply.text("Hello from the fake.").withUsage(12, 4)).models("claude-fake");
    String base = fake.anthropicBase();

    JsonNode chat = ModelSdks.anthropic(base, KEY, "m", "chat");
    assertThat(chat.path("text").asText()).isEqualTo("Hello from the fake.");
    assertThat(chat.path("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(chat.at("/usage/input_tokens").asInt()).isEqualTo(12);

    JsonNode stream = ModelSdks.anthropic(base, KEY, "m", "stream", "x-api-key");
    assertThat(stream.path("streamedText").asText()).isEqualTo("Hello from the fake.");
    assertThat(texts(stream.path("events"))).startsWith("message_start").endsWith("message_stop");
    assertThat(stream.at("/usage/output_tokens").asInt()).isEqualTo(4);
    assertThat(fake.last().header("x-api-key")).isEqualTo(KEY);

    assertThat(texts(ModelSdks.anthropic(base, KEY, "m", "models").path("models"))).containsExactly("claude-fake");

    fake.script(Reply.toolCall("toolu_1", "get_weather", "{\"city\":\"Paris\"}").withFragments(5));
    for (String mode : List.of("tools", "stream-tools")) {
      JsonNode tools = ModelSdks.anthropic(base, KEY, "m", mode);
      assertThat(tools.path("stop_reason").asText()).as(mode).isEqualTo("tool_use");
      assertThat(tools.at("/toolUses/0/name").asText()).as(mode).isEqualTo("get_weather");
      assertThat(tools.at("/toolUses/0/input/city").asText()).as(mode).isEqualTo("Paris");
    }

    fake.script(Reply.status(403));
    JsonNode error = ModelSdks.anthropic(base, KEY, "m", "error");
    assertThat(error.path("errorClass").asText()).isEqualTo("PermissionDeniedError");
    assertThat(error.path("type").asText()).isEqualTo("permission_error");
  }

  @Test
  void theOpenAiSdkReadsMockLlm() {
    String base = mock.openaiBase();
    JsonNode chat = ModelSdks.openai(base, KEY, "mock-model", "chat");
    assertThat(chat.path("content").asText()).isEqualTo("Hello from mock-llm.");
    assertThat(chat.at("/usage/completion_tokens").asInt()).isEqualTo(4);
    assertThat(ModelSdks.openai(base, KEY, "mock-model", "stream").path("content").asText()).isEqualTo("Hello from mock-llm.");
    JsonNode tools = ModelSdks.openai(base, KEY, "mock-model", "tools");
    assertThat(tools.at("/toolCalls/0/arguments/city").asText()).isEqualTo("Paris");
    assertThat(texts(ModelSdks.openai(base, KEY, "mock-model", "models").path("models"))).containsExactly("mock-model");
  }
}
