package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.registry.models.ModelDefinition;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What budgets and rate limits reserve for a model call's output, and the request members they
 * read it from: every choice of {@code n} is written and billed, and a bound that is not a whole
 * number is refused rather than reserved as the default and sent on.
 */
class OutputBoundTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode body(String members) throws Exception {
    return (ObjectNode) JSON.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]" + members + "}");
  }

  private static ModelDefinition model(Integer maxOutput) {
    return new ModelDefinition("m", null, List.of(), List.of(), null, null, null, maxOutput);
  }

  private static String problem(String members) throws Exception {
    return ValidateModelRequest.problem(
        new ModelCall(ModelCall.Kind.CHAT, Dialect.OPENAI, "m", body(members), false, new Caller("ten_a", "agt_a", List.of()), null, "r", null, null, 1));
  }

  /**
   * What the provider is sent is bounded as the reservation was: a probe's max_tokens of 100,000 on
   * a model of maxOutput 1,000 went on as it was and spent twenty times its budget.
   */
  @Test
  void theRequestSentIsBoundedByWhatWasReserved() throws Exception {
    ObjectNode asked = body(",\"max_tokens\":100000,\"max_completion_tokens\":50");
    ObjectNode sent = OutputBound.forProvider(Dialect.OPENAI, Dialect.OPENAI, asked, model(1000), model(1000));
    assertThat(sent.get("max_tokens").asLong()).isEqualTo(1000);
    assertThat(sent.get("max_completion_tokens").asLong()).as("already within the bound").isEqualTo(50);
    assertThat(asked.get("max_tokens").asLong()).as("the call's own body is not changed").isEqualTo(100000);
    assertThat(OutputBound.forProvider(Dialect.OPENAI, Dialect.OPENAI, asked, model(1000), model(400)).get("max_tokens").asLong())
        .as("a fallback's lower maxOutput bounds it too").isEqualTo(400);
    assertThat(OutputBound.forProvider(Dialect.OPENAI, Dialect.OPENAI, asked, model(null), model(null))).isSameAs(asked);
    ObjectNode within = body(",\"max_tokens\":10");
    assertThat(OutputBound.forProvider(Dialect.OPENAI, Dialect.OPENAI, within, model(1000), model(1000))).isSameAs(within);

    // Translated, a request that sets no bound gets the reserved one rather than the translator's default.
    ObjectNode unbounded = body("");
    assertThat(OutputBound.forProvider(Dialect.OPENAI, Dialect.ANTHROPIC, unbounded, model(1000), model(1000)).get("max_completion_tokens").asLong())
        .isEqualTo(1000);
    assertThat(dev.gatehouse.activities.model.translate.Translation.request(
                Dialect.OPENAI, Dialect.ANTHROPIC, OutputBound.forProvider(Dialect.OPENAI, Dialect.ANTHROPIC, unbounded, model(1000), model(1000)), "claude", false)
            .get("max_tokens").asLong())
        .isEqualTo(1000);
    assertThat(OutputBound.forProvider(Dialect.ANTHROPIC, Dialect.OPENAI, unbounded, model(700), model(null)).get("max_tokens").asLong()).isEqualTo(700);
    // Sent as it is, no member the client did not send is added (a provider may refuse one it does not know).
    assertThat(OutputBound.forProvider(Dialect.OPENAI, Dialect.OPENAI, unbounded, model(1000), model(1000))).isSameAs(unbounded);
  }

  /** A content the checks cannot read (an object) was passed on unread to a provider of the same API. */
  @Test
  void aMessagesContentIsTextPartsOrNone() throws Exception {
    assertThat(ValidateModelRequest.problem(
            new ModelCall(ModelCall.Kind.CHAT, Dialect.OPENAI, "m",
                (ObjectNode) JSON.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":{\"text\":\"x\"}}]}"),
                false, new Caller("ten_a", "agt_a", List.of()), null, "r", null, null, 1)))
        .isEqualTo("'messages[0].content' must be a string or an array of parts, not an object");
    assertThat(ValidateModelRequest.problem(
            new ModelCall(ModelCall.Kind.CHAT, Dialect.ANTHROPIC, "m",
                (ObjectNode) JSON.readTree("{\"model\":\"m\",\"system\":{\"text\":\"x\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                false, new Caller("ten_a", "agt_a", List.of()), null, "r", null, null, 1)))
        .isEqualTo("'system' must be a string or an array of parts, not an object");
    assertThat(problem(",\"max_tokens\":5")).isNull();
  }

  /** A probe's stop sequence given as a number, an object or an array of objects went on unread; the request policies read strings. */
  @Test
  void stopSequencesAreStrings() throws Exception {
    assertThat(problem(",\"stop\":4111111111111111")).isEqualTo("'stop' must be a string or an array of strings, not a number");
    assertThat(problem(",\"stop\":{\"x\":\"y\"}")).isEqualTo("'stop' must be a string or an array of strings, not an object");
    assertThat(problem(",\"stop\":[\"ok\",[\"y\"]]")).isEqualTo("'stop[1]' must be a string, not an array");
    for (String good : List.of("", ",\"stop\":null", ",\"stop\":\"END\"", ",\"stop\":[\"END\",\"STOP\"]", ",\"stop\":[]")) {
      assertThat(problem(good)).as(good).isNull();
    }
    ModelCall anthropic =
        new ModelCall(ModelCall.Kind.CHAT, Dialect.ANTHROPIC, "m", body(",\"max_tokens\":5,\"stop_sequences\":[\"END\",5]"), false,
            new Caller("ten_a", "agt_a", List.of()), null, "r", null, null, 1);
    assertThat(ValidateModelRequest.problem(anthropic)).isEqualTo("'stop_sequences[1]' must be a string, not a number");
    assertThat(ValidateModelRequest.paramOf("'stop[1]' must be a string, not an array")).isEqualTo("stop[1]");
  }

  @Test
  void everyChoiceIsReserved() throws Exception {
    assertThat(OutputBound.maxOutput(Dialect.OPENAI, body(",\"max_tokens\":100"), model(null))).isEqualTo(100);
    assertThat(OutputBound.maxOutput(Dialect.OPENAI, body(",\"max_tokens\":100,\"n\":50"), model(null))).isEqualTo(5_000);
    assertThat(OutputBound.maxOutput(Dialect.OPENAI, body(",\"max_tokens\":1000,\"n\":3"), model(100))).as("maxOutput bounds each choice").isEqualTo(300);
    assertThat(OutputBound.maxOutput(Dialect.OPENAI, body(",\"n\":2"), model(100))).isEqualTo(200);
    assertThat(OutputBound.maxOutput(Dialect.OPENAI, body(",\"n\":2"), model(null))).isEqualTo(2 * OutputBound.DEFAULT_MAX_OUTPUT);
    assertThat(OutputBound.askedInAll(Dialect.OPENAI, body(",\"max_completion_tokens\":30,\"n\":4"))).isEqualTo(120);
    assertThat(OutputBound.askedInAll(Dialect.OPENAI, body(""))).isZero();
  }

  /**
   * Anthropic's Messages has no {@code n}: one there is passed on unread and counts for nothing
   * (it made {@code max_tokens * n} wrap round to a negative worst case, which reserved nothing).
   */
  @Test
  void nCountsOnlyOnOpenAisChat() throws Exception {
    ObjectNode huge = body(",\"max_tokens\":1073741824,\"n\":8589934592");
    assertThat(OutputBound.maxOutput(Dialect.ANTHROPIC, huge, model(null))).isEqualTo(1L << 30);
    assertThat(OutputBound.askedInAll(Dialect.ANTHROPIC, huge)).isEqualTo(1L << 30);
    assertThat(OutputBound.maxOutput(Dialect.ANTHROPIC, body(",\"max_tokens\":100,\"n\":4"), model(null))).isEqualTo(100);
  }

  /** A product or sum past a long's end is the largest long, never a wrapped (negative, free) one. */
  @Test
  void aWorstCaseThatWouldOverflowSaturates() throws Exception {
    ObjectNode huge = body(",\"max_tokens\":1073741824,\"n\":8589934592");
    assertThat(OutputBound.maxOutput(Dialect.OPENAI, huge, model(null))).isEqualTo(Long.MAX_VALUE);
    assertThat(OutputBound.askedInAll(Dialect.OPENAI, huge)).isEqualTo(Long.MAX_VALUE);
    assertThat(OutputBound.plus(Long.MAX_VALUE, 12)).isEqualTo(Long.MAX_VALUE);
    assertThat(OutputBound.plus(40, 2)).isEqualTo(42);
  }

  @Test
  void aBoundOrChoiceCountThatIsNotAWholeNumberInRangeIsRefused() throws Exception {
    for (String bad : List.of(
        ",\"max_tokens\":\"100000\"", ",\"max_tokens\":1e30", ",\"max_tokens\":4000.5", ",\"max_tokens\":0", ",\"max_tokens\":-5",
        ",\"max_tokens\":2147483648", ",\"max_completion_tokens\":true", ",\"n\":0", ",\"n\":129", ",\"n\":\"2\"", ",\"n\":1.5")) {
      assertThat(problem(bad)).as(bad).isNotNull().contains("must be a whole number from 1 to");
    }
    for (String good : List.of("", ",\"max_tokens\":1", ",\"max_tokens\":null", ",\"n\":128", ",\"n\":null", ",\"max_completion_tokens\":2147483647")) {
      assertThat(problem(good)).as(good).isNull();
    }
  }

  /** The refusal names the member at fault in {@code param}, as OpenAI's own does: it said null. */
  @Test
  void theRefusalNamesTheMemberAtFault() throws Exception {
    java.util.Map<String, String> paramOf = new java.util.LinkedHashMap<>();
    paramOf.put(",\"max_tokens\":0", "max_tokens");
    paramOf.put(",\"max_completion_tokens\":true", "max_completion_tokens");
    paramOf.put(",\"n\":129", "n");
    paramOf.put(",\"stream\":\"yes\"", "stream");
    paramOf.put(",\"stream_options\":[]", "stream_options");
    for (var e : paramOf.entrySet()) {
      ModelCallException refused =
          (ModelCallException) ModelCallFailures.INSTANCE.denied(
              dev.gatehouse.policies.Decision.deny(ValidateModelRequest.POLICY, ModelCodes.INVALID_REQUEST, problem(e.getKey())));
      assertThat(refused.param()).as(e.getKey()).isEqualTo(e.getValue());
      assertThat(refused.status()).isEqualTo(400);
    }
    assertThat(ValidateModelRequest.paramOf("'messages[2].content' must be a string or an array of parts, not a number"))
        .isEqualTo("messages[2].content");
    assertThat(ValidateModelRequest.paramOf("embeddings cannot be streamed")).isEqualTo("stream");
    // another policy's refusal names no member
    ModelCallException other =
        (ModelCallException) ModelCallFailures.INSTANCE.denied(
            dev.gatehouse.policies.Decision.deny("pii", ModelCodes.INVALID_REQUEST, "'max_tokens' is not this policy's"));
    assertThat(other.param()).isNull();
  }

  @Test
  void anAnthropicMaxTokensThatIsNotAWholeNumberIsRefusedBeforeABudgetReservesByIt() throws Exception {
    for (String bad : List.of(",\"max_tokens\":\"100\"", ",\"max_tokens\":0", ",\"max_tokens\":1.5", ",\"max_tokens\":1e30")) {
      String problem =
          ValidateModelRequest.problem(
              new ModelCall(ModelCall.Kind.CHAT, Dialect.ANTHROPIC, "m", body(bad), false, new Caller("ten_a", "agt_a", List.of()), null, "r", null, null, 1));
      assertThat(problem).as(bad).contains("'max_tokens' must be a whole number");
    }
  }

  @Test
  void aProvidersCountsAreCountsNeverNegativeAndNoPartMoreThanItsWhole() {
    ModelUsage u = new ModelUsage(-1_000_000, 5, -5, 3, false);
    assertThat(u.inputTokens()).isZero();
    assertThat(u.outputTokens()).isZero();
    assertThat(u.cachedInputTokens()).isZero();
    assertThat(u.reasoningTokens()).isZero();
    assertThat(new ModelUsage(10, 20, 7, 9, false)).isEqualTo(new ModelUsage(10, 10, 7, 7, false));
  }
}
