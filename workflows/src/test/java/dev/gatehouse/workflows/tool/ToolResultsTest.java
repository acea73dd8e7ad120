package dev.gatehouse.workflows.tool;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.workflows.agent.AgentTranscript;
import io.temporal.common.converter.DefaultDataConverter;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The text of a tool's result, how it is cut, and the stored-result members of the activity's records. */
class ToolResultsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aResultsTextIsItsStringOrItsJson() {
    assertThat(ToolResults.text(JsonNodeFactory.instance.textNode("plain"))).isEqualTo("plain");
    assertThat(ToolResults.text(JsonNodeFactory.instance.objectNode().put("a", 1))).isEqualTo("{\"a\":1}");
    assertThat(ToolResults.text(null)).isEmpty();
    assertThat(ToolResults.text(JsonNodeFactory.instance.nullNode())).isEmpty();
  }

  @Test
  void aLongTextIsCutWithANoteAndAShortOneIsKept() {
    assertThat(ToolResults.cut("abcdef", 6)).isEqualTo("abcdef");
    assertThat(ToolResults.cut("abcdefgh", 6)).isEqualTo("abcdef\n[gatehouse: the result was cut at 6 of its 8 characters]");
    // The start of a longer text, as a stored result's start is read back.
    assertThat(ToolResults.cut("abcdefgh", 4, 100)).isEqualTo("abcd\n[gatehouse: the result was cut at 4 of its 100 characters]");
    assertThat(ToolResults.cut("abc", 4, 3)).isEqualTo("abc");
  }

  @Test
  void noCutOrPreviewSplitsASurrogatePair() {
    String face = "\uD83D\uDE00"; // one character, two UTF-16 units
    String text = "a".repeat(ToolResults.PREVIEW_CHARS - 1) + face + "b";
    assertThat(ToolResults.preview(text)).isEqualTo("a".repeat(ToolResults.PREVIEW_CHARS - 1));
    assertThat(ToolResults.cut("ab" + face + "cd", 3)).startsWith("ab\n[gatehouse: the result was cut at 3 of its 6 characters]");
    assertThat(AgentTranscript.storedResultText("x" + face, 3)).isEqualTo("x" + face);
  }

  @Test
  void recordsWrittenBeforeStorageExistedReadAsResultsAndRequestsThatStoreNothing() throws Exception {
    var converter = DefaultDataConverter.newDefaultInstance();
    var oldResult = converter.toPayload(JSON.readTree("{\"status\":200,\"output\":{\"ok\":true}}")).orElseThrow();
    ToolCallResult r = converter.fromPayload(oldResult, ToolCallResult.class, ToolCallResult.class);
    assertThat(r.output().path("ok").asBoolean()).isTrue();
    assertThat(r.stored()).isNull();
    var oldRequest =
        converter.toPayload(JSON.readTree("{\"stepId\":\"s\",\"tool\":\"t\",\"args\":{},\"caller\":{\"tenantId\":\"ten\",\"agentId\":\"agt\",\"scopes\":[]}}"))
            .orElseThrow();
    assertThat(converter.fromPayload(oldRequest, ToolCallRequest.class, ToolCallRequest.class).storeOver()).isNull();
    // A pipeline's request says nothing of storage: its payload is as it was.
    String pipelines = new String(converter.toPayload(new ToolCallRequest("s", "t", null, null)).orElseThrow().getData().toByteArray());
    assertThat(pipelines).doesNotContain("storeOver");
    // A stored result round-trips, without its output.
    ToolCallResult stored = new ToolCallResult(200, JsonNodeFactory.instance.textNode("x")).storedAs(new StoredResult("res_1", 9000, "x"));
    ToolCallResult back =
        converter.fromPayloads(0, Optional.of(converter.toPayloads(stored).orElseThrow()), ToolCallResult.class, ToolCallResult.class);
    assertThat(back).isEqualTo(new ToolCallResult(200, null, null, new StoredResult("res_1", 9000, "x")));
  }
}
