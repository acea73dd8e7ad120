package dev.gatehouse.activities.model.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelCodes;
import dev.gatehouse.activities.model.ModelUsage;
import org.junit.jupiter.api.Test;

/** The contract's promises that the golden files do not spell out one by one. */
class TranslationTest {

  private static ObjectNode json(String text) throws Exception {
    return (ObjectNode) Golden.MAPPER.readTree(text);
  }

  @Test
  void unknownMembersSurviveAnOpenAiToOpenAiRequestInADeepCopy() throws Exception {
    ObjectNode body =
        json(
            "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\",\"x_part\":[{\"a\":1}]}],"
                + "\"x_gateway_hint\":{\"deep\":{\"deeper\":[true,null,1.5]}},\"chat_template_kwargs\":{\"enable_thinking\":false},\"stream\":true}");

    ObjectNode sent = Translation.request(Dialect.OPENAI, Dialect.OPENAI, body, "qwen3-32b", true);

    ObjectNode expected = body.deepCopy();
    expected.put("model", "qwen3-32b");
    expected.putObject("stream_options").put("include_usage", true);
    assertThat(sent).isEqualTo(expected);
    ((ObjectNode) sent.at("/x_gateway_hint/deep")).put("changed", true);
    assertThat(body.at("/x_gateway_hint/deep").has("changed")).as("a deep copy").isFalse();
    assertThat(body.get("model").asText()).isEqualTo("fast");
  }

  @Test
  void aSameDialectAnswerIsReturnedAsIs() throws Exception {
    ObjectNode answer = json("{\"id\":\"chatcmpl-1\",\"choices\":[],\"x\":1}");

    assertThat(Translation.response(Dialect.OPENAI, Dialect.OPENAI, answer)).isSameAs(answer);
    ObjectNode message = json("{\"id\":\"msg_1\",\"type\":\"message\",\"content\":[],\"x\":1}");
    assertThat(Translation.response(Dialect.ANTHROPIC, Dialect.ANTHROPIC, message)).isSameAs(message);
  }

  /** A same-dialect 200 is checked to be an answer of its dialect (an error, or nothing, is not relayed as one). */
  @Test
  void aSameDialectAnswerThatIsNotOneIsAnUpstreamError() throws Exception {
    for (String bad : new String[] {"{}", "{\"error\":{\"message\":\"boom\"}}", "{\"choices\":[],\"error\":{\"type\":\"x\"}}"}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Translation.response(Dialect.OPENAI, Dialect.OPENAI, json(bad)))
          .as(bad)
          .isInstanceOfSatisfying(dev.gatehouse.activities.model.ModelCallException.class, e -> assertThat(e.code()).isEqualTo("upstream_error"))
          .hasMessageNotContaining("boom");
    }
    for (String bad : new String[] {"{}", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}", "{\"type\":\"message\"}"}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Translation.response(Dialect.ANTHROPIC, Dialect.ANTHROPIC, json(bad)))
          .as(bad)
          .isInstanceOfSatisfying(dev.gatehouse.activities.model.ModelCallException.class, e -> assertThat(e.code()).isEqualTo("upstream_error"));
    }
  }

  @Test
  void anOpenAiCallerWithoutMaxTokensGetsTheNamedDefault() throws Exception {
    ObjectNode sent =
        Translation.request(Dialect.OPENAI, Dialect.ANTHROPIC, json("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"), "claude", false);

    assertThat(sent.get("max_tokens").asInt()).isEqualTo(ToAnthropicRequest.DEFAULT_MAX_TOKENS).isEqualTo(4096);
  }

  @Test
  void anAnthropicCallersMaxTokensGoesInTheCurrentOpenAiMember() throws Exception {
    ObjectNode sent =
        Translation.request(
            Dialect.ANTHROPIC, Dialect.OPENAI, json("{\"model\":\"m\",\"max_tokens\":77,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"), "gpt", false);

    assertThat(sent.get(ToOpenAiRequest.MAX_TOKENS_MEMBER).asInt()).isEqualTo(77);
    assertThat(sent.has("max_tokens")).isFalse();
  }

  @Test
  void aProvidersToolCallWithArgumentsThatAreNotJsonIsAnUpstreamError() throws Exception {
    ObjectNode answer =
        json(
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\": \"}}]},\"finish_reason\":\"tool_calls\"}]}");

    assertThatThrownBy(() -> Translation.response(Dialect.OPENAI, Dialect.ANTHROPIC, answer))
        .isInstanceOfSatisfying(
            ModelCallException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
              assertThat(e.status()).isEqualTo(502);
            });
  }

  @Test
  void anAnswerWithoutAMessageIsAnUpstreamError() throws Exception {
    assertThatThrownBy(() -> Translation.response(Dialect.OPENAI, Dialect.ANTHROPIC, json("{\"id\":\"chatcmpl-1\",\"choices\":[]}")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR));
    assertThatThrownBy(() -> Translation.response(Dialect.ANTHROPIC, Dialect.OPENAI, json("{\"id\":\"msg_1\",\"type\":\"message\"}")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR));
  }

  @Test
  void usageCountsEveryInputTokenInEitherDialect() throws Exception {
    ModelUsage anthropic =
        Translation.usage(
            Dialect.ANTHROPIC,
            json("{\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":1000,\"output_tokens\":5}}"));
    ModelUsage openAi =
        Translation.usage(
            Dialect.OPENAI,
            json(
                "{\"usage\":{\"prompt_tokens\":1110,\"completion_tokens\":5,\"total_tokens\":1115,\"prompt_tokens_details\":{\"cached_tokens\":100},"
                    + "\"completion_tokens_details\":{\"reasoning_tokens\":3}}}"));

    // Anthropic's input leaves out what was read from its cache and what was written to it
    assertThat(anthropic).isEqualTo(new ModelUsage(1110, 100, 1000, 5, 0, false));
    assertThat(openAi).isEqualTo(new ModelUsage(1110, 100, 5, 3, false));
    assertThat(Translation.usage(Dialect.OPENAI, json("{\"usage\":null}"))).isNull();
    assertThat(Translation.usage(Dialect.ANTHROPIC, json("{}"))).isNull();
  }

  @Test
  void aRoundTripThroughAnthropicKeepsAToolConversation() throws Exception {
    ObjectNode openAi =
        json(
            "{\"model\":\"m\",\"max_completion_tokens\":100,\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"Q\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"R\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"required\"}");

    ObjectNode anthropic = Translation.request(Dialect.OPENAI, Dialect.ANTHROPIC, openAi, "claude", false);
    ObjectNode back = Translation.request(Dialect.ANTHROPIC, Dialect.OPENAI, anthropic, "m", false);

    assertThat(Golden.normalized(back)).isEqualTo(openAi);
  }
}
