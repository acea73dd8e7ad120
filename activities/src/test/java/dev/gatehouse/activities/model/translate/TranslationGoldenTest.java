package dev.gatehouse.activities.model.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelCodes;
import dev.gatehouse.activities.sse.SseEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every mapping, both ways, streamed and not, against golden files: {@code translate/requests}
 * (caller request → provider request), {@code translate/responses} (provider answer → caller
 * answer, and the usage read from it), {@code translate/streams} (a recorded SSE transcript of the
 * provider → the events written to the caller, the usage tapped, whether the stream completed and
 * the text relayed), {@code translate/refusals} (requests that cannot be translated →
 * {@code invalid_request} naming the member). JSON is compared as trees (member order aside).
 */
class TranslationGoldenTest {

  static Stream<Arguments> requests() {
    return Golden.cases("requests").map(p -> Arguments.of(Golden.name(p), p));
  }

  static Stream<Arguments> responses() {
    return Golden.cases("responses").map(p -> Arguments.of(Golden.name(p), p));
  }

  static Stream<Arguments> streams() {
    return Golden.cases("streams").map(p -> Arguments.of(Golden.name(p), p));
  }

  static Stream<Arguments> refusals() {
    return Golden.cases("refusals").map(p -> Arguments.of(Golden.name(p), p));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void request(String name, Path file) {
    JsonNode golden = Golden.read(file);
    ObjectNode input = (ObjectNode) golden.get("input");
    ObjectNode before = input.deepCopy();

    ObjectNode actual =
        Translation.request(
            Golden.dialect(golden, "from"), Golden.dialect(golden, "to"), input, golden.get("providerModel").asText(), golden.get("stream").asBoolean());

    assertThat(Golden.normalized(actual)).as(golden.get("description").asText()).isEqualTo(golden.get("expected"));
    assertThat(input).as("the caller's body is not changed").isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responses")
  void response(String name, Path file) {
    JsonNode golden = Golden.read(file);
    Dialect from = Golden.dialect(golden, "from");
    ObjectNode input = (ObjectNode) golden.get("input");

    ObjectNode actual = Translation.response(from, Golden.dialect(golden, "to"), input, Golden.CLOCK);

    assertThat(Golden.normalized(actual)).as(golden.get("description").asText()).isEqualTo(golden.get("expected"));
    assertThat(Translation.usage(from, input)).isEqualTo(Golden.usage(golden.get("usage")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streams")
  void stream(String name, Path file) throws IOException {
    JsonNode golden = Golden.read(file);
    StreamTranslator translator =
        Translation.stream(Golden.dialect(golden, "from"), Golden.dialect(golden, "to"), golden.get("clientWantsUsage").asBoolean(), Golden.CLOCK);
    Golden.RecordingSink sink = new Golden.RecordingSink();

    for (SseEvent event : Golden.transcript(golden.get("transcript").asText())) {
      translator.accept(event, sink);
    }
    translator.finish(sink);

    JsonNode expected = golden.get("expected");
    List<Golden.Written> written = sink.events;
    assertThat(written.stream().map(w -> w.name() == null ? "(data)" : w.name()).toList())
        .as(golden.get("description").asText())
        .containsExactlyElementsOf(names(expected));
    for (int i = 0; i < expected.size(); i++) {
      JsonNode want = expected.get(i).get("data");
      String got = written.get(i).data();
      if (want.isTextual()) {
        assertThat(got).as("event %d", i).isEqualTo(want.asText());
      } else {
        assertThat(Golden.MAPPER.readTree(got)).as("event %d", i).isEqualTo(want);
      }
    }
    assertThat(translator.usage()).isEqualTo(Golden.usage(golden.get("usage")));
    assertThat(translator.complete()).isEqualTo(golden.get("complete").asBoolean());
    assertThat(translator.relayedText().toString()).isEqualTo(golden.get("relayedText").asText());
  }

  private static List<String> names(JsonNode expected) {
    List<String> names = new ArrayList<>();
    expected.forEach(e -> names.add(e.get("event").isNull() ? "(data)" : e.get("event").asText()));
    return names;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void refusal(String name, Path file) {
    JsonNode golden = Golden.read(file);
    String param = golden.get("param").asText();

    assertThatThrownBy(
            () -> Translation.request(Golden.dialect(golden, "from"), Golden.dialect(golden, "to"), (ObjectNode) golden.get("input"), "provider-model", false))
        .isInstanceOfSatisfying(
            ModelCallException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelCodes.INVALID_REQUEST);
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.param()).isEqualTo(param);
              assertThat(e.getMessage()).contains("`" + param + "`").contains(golden.get("messageContains").asText());
              assertThat(e.getMessage()).doesNotContainPattern("[a-z]+\\.[a-z]+\\.[A-Z]|Node\\b|Exception|java\\.|Integer|Long|Boolean|String\\b");
            });
  }
}
