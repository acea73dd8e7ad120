package dev.gatehouse.activities.model.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelCodes;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** What the golden transcripts do not show: byte-for-byte relay, failures both ways, the bound on relayed text. */
class StreamTranslatorTest {

  static Stream<Arguments> everyPair() {
    return Stream.of(
        Arguments.of(Dialect.OPENAI, Dialect.OPENAI),
        Arguments.of(Dialect.OPENAI, Dialect.ANTHROPIC),
        Arguments.of(Dialect.ANTHROPIC, Dialect.OPENAI),
        Arguments.of(Dialect.ANTHROPIC, Dialect.ANTHROPIC));
  }

  @Test
  void openAiToOpenAiRelaysEachChunkByteForByte() throws IOException {
    List<SseEvent> upstream = Golden.transcript("openai-tool-calls.sse");
    StreamTranslator translator = Translation.stream(Dialect.OPENAI, Dialect.OPENAI, true);
    Golden.RecordingSink sink = new Golden.RecordingSink();

    for (SseEvent event : upstream) {
      translator.accept(event, sink);
    }
    translator.finish(sink);

    assertThat(sink.events).extracting(Golden.Written::data).containsExactlyElementsOf(upstream.stream().map(SseEvent::data).toList());
    assertThat(sink.events).extracting(Golden.Written::name).containsOnlyNulls();
  }

  @Test
  void anthropicToAnthropicRelaysEachEventByteForByteUnderItsName() throws IOException {
    List<SseEvent> upstream = Golden.transcript("anthropic-tool-use.sse");
    StreamTranslator translator = Translation.stream(Dialect.ANTHROPIC, Dialect.ANTHROPIC, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();

    for (SseEvent event : upstream) {
      translator.accept(event, sink);
    }
    translator.finish(sink);

    assertThat(sink.events).containsExactlyElementsOf(upstream.stream().map(e -> new Golden.Written(e.event(), e.data())).toList());
  }

  @Test
  void nothingTheProviderSendsAfterMessageStopReachesAnAnthropicCaller() throws IOException {
    for (Dialect caller : Dialect.values()) {
      List<SseEvent> upstream = new java.util.ArrayList<>(Golden.transcript("anthropic-tool-use.sse"));
      upstream.add(new SseEvent(null, "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"late\"}}", null));
      StreamTranslator translator = Translation.stream(Dialect.ANTHROPIC, caller, false);
      Golden.RecordingSink sink = new Golden.RecordingSink();
      for (SseEvent event : upstream) {
        translator.accept(event, sink);
      }
      assertThat(translator.complete()).isTrue();
      assertThat(sink.events).as(caller.name()).noneMatch(w -> w.data().contains("late"));
    }
  }

  @Test
  void theUsageChunkIsStrippedOnlyWhenTheCallerDidNotAskForIt() throws IOException {
    for (boolean wants : new boolean[] {false, true}) {
      StreamTranslator translator = Translation.stream(Dialect.OPENAI, Dialect.OPENAI, wants);
      Golden.RecordingSink sink = new Golden.RecordingSink();
      for (SseEvent event : Golden.transcript("openai-text.sse")) {
        translator.accept(event, sink);
      }

      long usageChunks = sink.events.stream().filter(w -> w.data().contains("\"choices\":[]") && w.data().contains("\"usage\":{")).count();
      assertThat(usageChunks).as("clientWantsUsage=%s", wants).isEqualTo(wants ? 1 : 0);
      assertThat(translator.usage()).as("usage is tapped either way").isNotNull();
      assertThat(sink.events.get(sink.events.size() - 1).data()).isEqualTo("[DONE]");
    }
  }

  /**
   * A compatible server that ignores {@code stream_options}: a caller who asked for usage gets what
   * Gatehouse meters (its estimate) as the last chunk before {@code [DONE]}, as a translated
   * stream's end carries it; a caller who did not ask gets none, and neither does a stream that
   * reported its own.
   */
  @Test
  void aCallerWhoAskedForUsageGetsTheEstimateWhenTheProviderReportsNone() throws IOException {
    List<SseEvent> reported = Golden.transcript("openai-text.sse");
    List<SseEvent> none = new java.util.ArrayList<>(reported);
    none.remove(none.size() - 2); // the usage chunk
    for (boolean wants : new boolean[] {false, true}) {
      for (boolean withDone : new boolean[] {false, true}) {
        StreamTranslator translator = Translation.stream(Dialect.OPENAI, Dialect.OPENAI, wants);
        java.util.List<CharSequence> estimated = new java.util.ArrayList<>();
        translator.estimateUsageWith(text -> {
          estimated.add(text.toString());
          return new dev.gatehouse.activities.model.ModelUsage(11, 0, 3, 0, true);
        });
        Golden.RecordingSink sink = new Golden.RecordingSink();
        for (SseEvent event : withDone ? none : none.subList(0, none.size() - 1)) {
          translator.accept(event, sink);
        }
        translator.finish(sink);
        List<String> data = sink.events.stream().map(Golden.Written::data).toList();
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        if (!wants) {
          assertThat(data).as("did not ask").noneMatch(d -> d.contains("\"usage\":{"));
          continue;
        }
        JsonNode usage = Json.parse(data.get(data.size() - 2));
        assertThat(usage.path("choices").isArray() && usage.path("choices").isEmpty()).as(usage.toString()).isTrue();
        assertThat(usage.path("id").asText()).isEqualTo("chatcmpl-BvRn1V3cJ8Zr9T2xKq4W5mYpLs7Ha");
        assertThat(usage.path("model").asText()).isEqualTo("gpt-4o-mini-2024-07-18");
        assertThat(usage.path("created").asLong()).isEqualTo(1753100000L);
        assertThat(usage.path("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(usage.path("usage").path("prompt_tokens").asLong()).isEqualTo(11);
        assertThat(usage.path("usage").path("completion_tokens").asLong()).isEqualTo(3);
        assertThat(estimated).containsExactly("Hello! How can I help?");
      }
    }
    // A provider that reported usage: exactly its chunk, byte for byte, and no estimate.
    StreamTranslator translator = Translation.stream(Dialect.OPENAI, Dialect.OPENAI, true);
    translator.estimateUsageWith(text -> { throw new AssertionError("estimated a stream that reported its usage"); });
    Golden.RecordingSink sink = new Golden.RecordingSink();
    for (SseEvent event : reported) {
      translator.accept(event, sink);
    }
    translator.finish(sink);
    assertThat(sink.events).extracting(Golden.Written::data).containsExactlyElementsOf(reported.stream().map(SseEvent::data).toList());
  }

  @Test
  void anAnthropicCallerOfAnOpenAiProviderGetsTheUsageInMessageDelta() throws IOException {
    StreamTranslator translator = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    List<SseEvent> upstream = Golden.transcript("openai-text.sse");

    for (SseEvent event : upstream.subList(0, upstream.size() - 2)) { // up to the finish reason
      translator.accept(event, sink);
    }
    assertThat(sink.events).extracting(Golden.Written::name).doesNotContain("message_delta", "message_stop");
    assertThat(translator.usage()).isNull();
    assertThat(translator.complete()).isFalse();

    translator.accept(upstream.get(upstream.size() - 2), sink); // the usage chunk
    translator.accept(upstream.get(upstream.size() - 1), sink); // [DONE]

    assertThat(sink.events).extracting(Golden.Written::name).endsWith("message_delta", "message_stop");
    JsonNode delta = Golden.MAPPER.readTree(sink.events.get(sink.events.size() - 2).data());
    assertThat(delta.at("/usage/input_tokens").asLong()).isEqualTo(19);
    assertThat(delta.at("/usage/output_tokens").asLong()).isEqualTo(10);
    assertThat(translator.complete()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void failWritesTheErrorEventOfTheCallersDialect(Dialect caller) throws IOException {
    for (Dialect provider : Dialect.values()) {
      StreamTranslator translator = Translation.stream(provider, caller, false);
      Golden.RecordingSink sink = new Golden.RecordingSink();

      translator.fail(ModelCodes.UPSTREAM_UNAVAILABLE, "every provider failed", sink);

      assertThat(sink.events).hasSize(1);
      Golden.Written written = sink.events.get(0);
      JsonNode data = Golden.MAPPER.readTree(written.data());
      if (caller == Dialect.OPENAI) {
        assertThat(written.name()).isNull();
        assertThat(data).isEqualTo(
            Golden.MAPPER.readTree("{\"error\":{\"message\":\"every provider failed\",\"type\":\"api_error\",\"param\":null,\"code\":\"upstream_unavailable\"}}"));
      } else {
        assertThat(written.name()).isEqualTo("error");
        assertThat(data).isEqualTo(
            Golden.MAPPER.readTree("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"every provider failed\",\"code\":\"upstream_unavailable\"}}"));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void anAnthropicErrorEventIsAnUpstreamError(Dialect caller) throws IOException {
    StreamTranslator translator = Translation.stream(Dialect.ANTHROPIC, caller, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    List<SseEvent> upstream = Golden.transcript("anthropic-text.sse");
    translator.accept(upstream.get(0), sink);
    int before = sink.events.size();

    assertThatThrownBy(
            () ->
                translator.accept(
                    new SseEvent(null, "error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", null), sink))
        .isInstanceOfSatisfying(
            ModelCallException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
              assertThat(e.status()).isEqualTo(502);
              assertThat(e.getMessage()).contains("overloaded_error").doesNotContain("Overloaded");
            });
    assertThat(sink.events).as("the error event is not relayed: fail() writes the caller's").hasSize(before);

    // The caller's error event says what the provider said when the caller speaks Anthropic too:
    // an overloaded_error is retried as one (Claude Code waits and retries a 529).
    translator.fail(ModelCodes.UPSTREAM_ERROR, "the provider's stream failed (overloaded_error)", sink);
    JsonNode written = Golden.MAPPER.readTree(sink.events.get(sink.events.size() - 1).data());
    assertThat(written.at("/error/type").asText())
        .isEqualTo(caller == Dialect.ANTHROPIC ? "overloaded_error" : "api_error");
    assertThat(written.at("/error/code").asText()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
  }

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void anOpenAiErrorChunkIsAnUpstreamError(Dialect caller) {
    StreamTranslator translator = Translation.stream(Dialect.OPENAI, caller, true);
    String error = "{\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";

    assertThatThrownBy(() -> translator.accept(new SseEvent(null, "message", error, null), new Golden.RecordingSink()))
        .isInstanceOfSatisfying(
            ModelCallException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
              assertThat(e.status()).isEqualTo(502);
              assertThat(e.getMessage()).contains("server_error");
            });
  }

  @ParameterizedTest
  @MethodSource("everyPair")
  void unparseableDataIsAnUpstreamError(Dialect provider, Dialect caller) {
    StreamTranslator translator = Translation.stream(provider, caller, false);

    for (String data : List.of("{\"id\":\"chatcmpl-1\",\"choices\":[", "<html>502 Bad Gateway</html>", "[1,2]")) {
      assertThatThrownBy(() -> translator.accept(new SseEvent(null, "message_start", data, null), new Golden.RecordingSink()))
          .as(data)
          .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR));
    }
  }

  @Test
  void anAnthropicStreamMustBeginWithMessageStart() {
    StreamTranslator translator = Translation.stream(Dialect.ANTHROPIC, Dialect.OPENAI, false);
    String delta = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}";

    assertThatThrownBy(() -> translator.accept(new SseEvent(null, "content_block_delta", delta, null), new Golden.RecordingSink()))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR));
  }

  @ParameterizedTest
  @MethodSource("everyPair")
  void relayedTextIsBounded(Dialect provider, Dialect caller) throws IOException {
    StreamTranslator translator = Translation.stream(provider, caller, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    String piece = "x".repeat(64 * 1024);
    String json = Golden.MAPPER.writeValueAsString(piece);
    if (provider == Dialect.OPENAI) {
      for (int i = 0; i < 20; i++) {
        String chunk = "{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":" + json + "},\"finish_reason\":null}]}";
        translator.accept(new SseEvent(null, "message", chunk, null), sink);
      }
    } else {
      translator.accept(Golden.transcript("anthropic-text.sse").get(0), sink);
      translator.accept(new SseEvent(null, "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}", null), sink);
      for (int i = 0; i < 20; i++) {
        String delta = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":" + json + "}}";
        translator.accept(new SseEvent(null, "content_block_delta", delta, null), sink);
      }
    }

    assertThat(translator.relayedText().length()).isEqualTo(StreamTap.MAX_RELAYED_CHARS);
    assertThat(sink.events.size()).as("the text itself is all relayed").isGreaterThanOrEqualTo(20);
  }

  @Test
  void finishClosesAnOpenAiCallersStreamOnce() throws IOException {
    for (Dialect provider : Dialect.values()) {
      StreamTranslator translator = Translation.stream(provider, Dialect.OPENAI, false);
      Golden.RecordingSink sink = new Golden.RecordingSink();
      List<SseEvent> upstream = Golden.transcript(provider == Dialect.OPENAI ? "openai-text.sse" : "anthropic-text.sse");

      for (SseEvent event : upstream.subList(0, 3)) { // cut short
        translator.accept(event, sink);
      }
      translator.finish(sink);
      translator.finish(sink);

      assertThat(sink.events.stream().filter(w -> w.data().equals("[DONE]")).count()).as(provider.name()).isEqualTo(1);
      assertThat(translator.complete()).isFalse();
    }
  }

  @Test
  void aChunkThatCarriesNothingStartsNoAnthropicMessage() throws IOException {
    // Azure OpenAI opens its streams with a chunk of content-filter results: no id, no model, no choices.
    String promptFilter =
        "{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}";
    StreamTranslator translator = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();

    translator.accept(new SseEvent(null, "message", promptFilter, null), sink);
    assertThat(sink.events).isEmpty();
    translator.accept(Golden.transcript("openai-text.sse").get(0), sink);

    assertThat(sink.events).extracting(Golden.Written::name).containsExactly("message_start");
    JsonNode start = Golden.MAPPER.readTree(sink.events.get(0).data());
    assertThat(start.at("/message/id").asText()).isEqualTo("msg_BvRn1V3cJ8Zr9T2xKq4W5mYpLs7Ha");
    assertThat(start.at("/message/model").asText()).isEqualTo("gpt-4o-mini-2024-07-18");
  }

  private static SseEvent chunk(String json) {
    return new SseEvent(null, "message", json, null);
  }

  /**
   * A stream is not taken as done at its first finish with some usage: a probe's n=2 stream with a
   * running usage in every chunk (vLLM's continuous_usage_stats) lost the second choice's text and
   * metered 1 output token of 52; another, with usage in each content chunk, metered 9 of 184.
   */
  @Test
  void anOpenAiStreamIsCompleteOnlyWhenEveryChoiceHasFinishedAndTheLastUsageHasCome() throws IOException {
    StreamTranslator two = Translation.stream(Dialect.OPENAI, Dialect.OPENAI, true);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    two.accept(chunk("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A0\"},\"finish_reason\":null},{\"index\":1,\"delta\":{\"content\":\"B0\"},\"finish_reason\":null}],"
        + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2}}"), sink);
    two.accept(chunk("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":3}}"), sink);
    assertThat(two.complete()).as("choice 1 is still writing").isFalse();
    two.accept(chunk("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"B1\"},\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":4}}"), sink);
    two.accept(chunk("{\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":52}}"), sink);
    assertThat(two.complete()).isTrue();
    assertThat(two.usage().outputTokens()).isEqualTo(52);
    assertThat(sink.events).anyMatch(w -> w.data().contains("B1"));

    for (Dialect caller : Dialect.values()) {
      StreamTranslator running = Translation.stream(Dialect.OPENAI, caller, true);
      Golden.RecordingSink out = new Golden.RecordingSink();
      running.accept(chunk("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello\"},\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":9}}"), out);
      running.accept(chunk("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"), out);
      assertThat(running.complete()).as(caller + ": the usage before the finish is not the last").isFalse();
      running.accept(chunk("{\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":184}}"), out);
      assertThat(running.complete()).as(caller.name()).isTrue();
      assertThat(running.usage().outputTokens()).as(caller.name()).isEqualTo(184);
    }
  }

  /** A usage without its counts is no usage: an empty one made a call free, Anthropic's without an output count metered 1 token. */
  @Test
  void aUsageWithoutItsCountsIsNotTakenAsTheAnswers() throws IOException {
    assertThat(Usages.fromOpenAi(Json.MAPPER.readTree("{}"))).isNull();
    assertThat(Usages.fromOpenAi(Json.MAPPER.readTree("{\"total_tokens\":1000}"))).isNull();
    assertThat(Usages.fromOpenAi(Json.MAPPER.readTree("{\"prompt_tokens\":3,\"completion_tokens\":4}")).outputTokens()).isEqualTo(4);
    assertThat(Usages.fromAnthropic(Json.MAPPER.readTree("{}"))).isNull();
    assertThat(Usages.fromAnthropic(Json.MAPPER.readTree("{\"input_tokens\":3}"))).isNull();

    for (Dialect caller : Dialect.values()) {
      StreamTranslator t = Translation.stream(Dialect.ANTHROPIC, caller, true);
      Golden.RecordingSink out = new Golden.RecordingSink();
      t.accept(anthropic("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"content\":[],"
          + "\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}"), out);
      t.accept(anthropic("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"), out);
      t.accept(anthropic("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hello there\"}}"), out);
      t.accept(anthropic("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"), out);
      t.accept(anthropic("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{}}"), out);
      t.accept(anthropic("message_stop", "{\"type\":\"message_stop\"}"), out);
      assertThat(t.complete()).as(caller.name()).isTrue();
      assertThat(t.usageFinal()).as(caller + ": the output was never counted").isFalse();
    }
    StreamTranslator counted = Translation.stream(Dialect.ANTHROPIC, Dialect.ANTHROPIC, false);
    Golden.RecordingSink out = new Golden.RecordingSink();
    for (SseEvent e : Golden.transcript("anthropic-tool-use.sse")) {
      counted.accept(e, out);
    }
    assertThat(counted.usageFinal()).isTrue();
  }

  private static SseEvent openAi(String delta, String finish) {
    return new SseEvent(null, "message",
        "{\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":"
            + delta + ",\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"") + "}]}", null);
  }

  private static SseEvent anthropic(String type, String data) {
    return new SseEvent(null, type, data, null);
  }

  private static void upstreamError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOfSatisfying(ModelCallException.class, e -> {
      assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
      assertThat(e.getMessage()).contains(message);
    });
  }

  /**
   * A tool call translated from an OpenAI stream is checked as the unstreamed answer is: a probe's
   * arguments {@code {not json} went to an Anthropic caller and the stream ended well, where the
   * same answer unstreamed was 502.
   */
  @Test
  void anOpenAiToolCallWhoseArgumentsAreNotAnObjectEndsTheAnthropicStreamWithTheProvidersError() throws IOException {
    StreamTranslator translator = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    translator.accept(openAi("{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{not \"}}]}", null), sink);
    translator.accept(openAi("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"json\"}}]}", null), sink);
    upstreamError(() -> translator.accept(openAi("{}", "tool_calls"), sink), "not a JSON object");
    assertThat(sink.events).extracting(Golden.Written::name).doesNotContain("content_block_stop", "message_stop");

    // Whole arguments pass; so do none.
    StreamTranslator good = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    Golden.RecordingSink fine = new Golden.RecordingSink();
    good.accept(openAi("{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}", null), fine);
    good.accept(openAi("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}},{\"index\":1,\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"\"}}]}", null), fine);
    good.accept(openAi("{}", "tool_calls"), fine);
    assertThat(fine.events).extracting(Golden.Written::name).filteredOn("content_block_stop"::equals).hasSize(2);
  }

  @Test
  void anOpenAiToolCallWithoutANameIsTheProvidersError() {
    StreamTranslator unnamed = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    upstreamError(() -> unnamed.accept(openAi("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}", null), new Golden.RecordingSink()),
        "without a name");
  }

  /**
   * Calls a provider streams without an index (Gemini's and older Ollama's OpenAI-compatible
   * endpoints), or with one that is not a whole number from 0 up, each get a block of their own:
   * a probe's parallel calls all went to the first block, and the stream failed. A fragment
   * without an id continues the last call; an indexed call among them keeps its index.
   */
  @Test
  void openAiToolCallsWithoutAnIndexEachGetABlock() throws IOException {
    StreamTranslator translator = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    translator.accept(openAi("{\"tool_calls\":[{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}", null), sink);
    translator.accept(openAi("{\"tool_calls\":[{\"function\":{\"arguments\":\"1}\"}}]}", null), sink);
    translator.accept(openAi("{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{\\\"b\\\":2}\"}}]}", null), sink);
    translator.accept(openAi("{\"tool_calls\":[{\"index\":-1,\"id\":\"call_c\",\"type\":\"function\",\"function\":{\"name\":\"h\",\"arguments\":\"{\\\"c\\\":3}\"}}]}", null), sink);
    translator.accept(openAi("{}", "tool_calls"), sink);
    translator.finish(sink);

    java.util.Map<Integer, String> ids = new java.util.TreeMap<>();
    java.util.Map<Integer, StringBuilder> inputs = new java.util.TreeMap<>();
    for (Golden.Written w : sink.events) {
      com.fasterxml.jackson.databind.JsonNode e = new com.fasterxml.jackson.databind.ObjectMapper().readTree(w.data());
      if (w.name().equals("content_block_start")) {
        ids.put(e.path("index").asInt(), e.at("/content_block/id").asText());
      } else if (w.name().equals("content_block_delta")) {
        inputs.computeIfAbsent(e.path("index").asInt(), k -> new StringBuilder()).append(e.at("/delta/partial_json").asText());
      }
    }
    assertThat(ids.values()).containsExactly("call_a", "call_b", "call_c");
    assertThat(inputs.values()).extracting(StringBuilder::toString).containsExactly("{\"a\":1}", "{\"b\":2}", "{\"c\":3}");
  }

  /** Each tool_use block of an Anthropic stream as its caller reads it: its name and its input put together, in block order. */
  private static java.util.List<String> toolUses(Golden.RecordingSink sink) throws IOException {
    java.util.Map<Integer, String> names = new java.util.TreeMap<>();
    java.util.Map<Integer, StringBuilder> inputs = new java.util.TreeMap<>();
    int open = -1;
    for (Golden.Written w : sink.events) {
      JsonNode e = Json.MAPPER.readTree(w.data());
      switch (w.name()) {
        case "content_block_start" -> {
          assertThat(open).as("a block begins only once the one before has stopped").isEqualTo(-1);
          open = e.path("index").asInt();
          names.put(open, e.at("/content_block/name").asText());
          inputs.put(open, new StringBuilder());
        }
        case "content_block_delta" -> {
          assertThat(e.path("index").asInt()).as("a delta goes to the open block").isEqualTo(open);
          inputs.get(open).append(e.at("/delta/partial_json").asText());
        }
        case "content_block_stop" -> {
          assertThat(e.path("index").asInt()).isEqualTo(open);
          open = -1;
        }
        default -> { }
      }
    }
    java.util.List<String> out = new java.util.ArrayList<>();
    names.forEach((i, name) -> out.add(name + " " + inputs.get(i)));
    return out;
  }

  private static SseEvent callPiece(int index, String id, String name, String arguments) {
    StringBuilder call = new StringBuilder("{\"index\":" + index);
    if (id != null) {
      call.append(",\"id\":\"").append(id).append("\",\"type\":\"function\"");
    }
    call.append(",\"function\":{");
    if (name != null) {
      call.append("\"name\":\"").append(name).append("\"").append(arguments != null ? "," : "");
    }
    if (arguments != null) {
      call.append("\"arguments\":").append(Json.MAPPER.<JsonNode>valueToTree(arguments).toString());
    }
    call.append("}}");
    return openAi("{\"tool_calls\":[" + call + "]}", null);
  }

  /**
   * Anthropic's blocks come one after another; a provider may interleave the fragments of
   * parallel calls, and cut a call's name in pieces: a probe's interleaved calls ended the Anthropic
   * caller's stream, and a name's pieces after the first were lost. A call that begins while
   * another's arguments are not whole waits, and its block follows.
   */
  @Test
  void interleavedParallelCallsAndANameInPiecesReachAnAnthropicCallerAsWholeBlocks() throws IOException {
    StreamTranslator t = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    t.accept(openAi("{\"role\":\"assistant\",\"content\":null}", null), sink);
    t.accept(callPiece(0, "call_a", "get_", ""), sink);
    t.accept(callPiece(0, null, "weather", null), sink);
    t.accept(callPiece(1, "call_b", "get_time", ""), sink);
    t.accept(callPiece(0, null, null, "{\"city\":"), sink);
    t.accept(callPiece(1, null, null, "{\"zone\":"), sink);
    t.accept(callPiece(0, null, null, "\"Oslo}\"}"), sink);
    t.accept(callPiece(2, "call_c", "noop", ""), sink);
    t.accept(callPiece(1, null, null, "\"CET\"}"), sink);
    t.accept(openAi("{}", "tool_calls"), sink);
    t.accept(new SseEvent(null, "message", "[DONE]", null), sink);

    assertThat(toolUses(sink)).containsExactly("get_weather {\"city\":\"Oslo}\"}", "get_time {\"zone\":\"CET\"}", "noop ");
    assertThat(sink.events).extracting(Golden.Written::name).endsWith("message_delta", "message_stop");

    // Calls one after another, as OpenAI sends them, still stream: the first call's fragments go
    // out as they come, before the second call begins.
    StreamTranslator s = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    Golden.RecordingSink seq = new Golden.RecordingSink();
    s.accept(openAi("{\"role\":\"assistant\",\"content\":null}", null), seq);
    s.accept(callPiece(0, "call_a", "f", ""), seq);
    s.accept(callPiece(0, null, null, "{\"a\":"), seq);
    assertThat(seq.events).extracting(Golden.Written::name).endsWith("content_block_start", "content_block_delta");
    s.accept(callPiece(0, null, null, "1}"), seq);
    s.accept(callPiece(1, "call_b", "g", ""), seq);
    assertThat(seq.events).extracting(Golden.Written::name).endsWith("content_block_delta", "content_block_delta", "content_block_stop");
    s.accept(callPiece(1, null, null, "{}"), seq);
    s.accept(openAi("{}", "tool_calls"), seq);
    assertThat(toolUses(seq)).containsExactly("f {\"a\":1}", "g {}");

    // A fragment of a call after its block has ended: the provider's error, not a delta to a stopped block.
    StreamTranslator late = Translation.stream(Dialect.OPENAI, Dialect.ANTHROPIC, false);
    Golden.RecordingSink lateSink = new Golden.RecordingSink();
    late.accept(callPiece(0, "call_a", "f", "{}"), lateSink);
    late.accept(callPiece(1, "call_b", "g", "{}"), lateSink);
    upstreamError(() -> late.accept(callPiece(0, null, null, " "), lateSink), "after it had ended");
  }

  @Test
  void anAnthropicStreamsToolInputMustBeWholeAndItsDeltasForBlocksItStarted() throws IOException {
    SseEvent start = Golden.transcript("anthropic-text.sse").get(0);
    StreamTranslator partial = Translation.stream(Dialect.ANTHROPIC, Dialect.OPENAI, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    partial.accept(start, sink);
    partial.accept(anthropic("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}}}"), sink);
    partial.accept(anthropic("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}"), sink);
    upstreamError(() -> partial.accept(anthropic("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"), sink), "not a JSON object");

    StreamTranslator stray = Translation.stream(Dialect.ANTHROPIC, Dialect.OPENAI, false);
    stray.accept(start, new Golden.RecordingSink());
    upstreamError(
        () -> stray.accept(anthropic("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}"), new Golden.RecordingSink()),
        "never started");
  }

  /** The arguments an OpenAI caller assembles for each call, by index, from the chunks it was sent. */
  private static java.util.Map<Integer, String> assembled(Golden.RecordingSink sink) throws IOException {
    java.util.Map<Integer, String> out = new java.util.TreeMap<>();
    for (Golden.Written w : sink.events) {
      if (!w.data().startsWith("{")) {
        continue;
      }
      for (JsonNode call : Json.MAPPER.readTree(w.data()).at("/choices/0/delta/tool_calls")) {
        out.merge(call.path("index").asInt(), call.at("/function/arguments").asText(""), String::concat);
      }
    }
    return out;
  }

  /**
   * A probe's calls of a tool without parameters, streamed as Claude streams them (input {} and one
   * empty fragment), reached OpenAI callers with arguments "", which is not JSON; a call whose input
   * came whole in its start lost it; and a server tool's input ended the stream.
   */
  @Test
  void anAnthropicCallsInputIsWholeJsonWhateverWayItCame() throws IOException {
    SseEvent start = Golden.transcript("anthropic-text.sse").get(0);
    StreamTranslator t = Translation.stream(Dialect.ANTHROPIC, Dialect.OPENAI, false);
    Golden.RecordingSink sink = new Golden.RecordingSink();
    t.accept(start, sink);
    // 0: no parameters, as Claude streams it
    t.accept(anthropic("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_0\",\"name\":\"now\",\"input\":{}}}"), sink);
    t.accept(anthropic("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}"), sink);
    t.accept(anthropic("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"), sink);
    // 1: a server tool's call and its result, which the provider runs
    t.accept(anthropic("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{}}}"), sink);
    t.accept(anthropic("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"query\\\":\\\"x\\\"}\"}}"), sink);
    t.accept(anthropic("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"), sink);
    // 2: input whole in the start, no fragments
    t.accept(anthropic("content_block_start", "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"f\",\"input\":{\"a\":1}}}"), sink);
    t.accept(anthropic("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":2}"), sink);
    // a stop said twice adds nothing
    t.accept(anthropic("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":2}"), sink);

    assertThat(assembled(sink)).containsExactly(java.util.Map.entry(0, "{}"), java.util.Map.entry(1, "{\"a\":1}"));
  }
}
