package dev.gatehouse.workflows.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** What the transcript keeps of a model's answer. */
class AgentTranscriptTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A probe's model answered a call without an id: the tool message answered a made-up id no call
   * in the kept message had, which a strict provider refuses on the next step. The kept message
   * has the id its tool message answers.
   */
  @Test
  void aCallWithoutAnIdKeepsTheIdItsToolMessageAnswers() throws Exception {
    ObjectNode answer = (ObjectNode) JSON.readTree(
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
            + "{\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}},"
            + "{\"id\":\"call_x\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}},"
            + "{\"id\":7,\"type\":\"function\",\"function\":{\"name\":\"h\",\"arguments\":\"{}\"}}]}");

    ObjectNode kept = AgentTranscript.assistantMessage(answer, null, 1);
    var calls = AgentTranscript.toolCalls(kept);

    assertThat(calls).extracting(AgentTranscript.ToolCall::id).containsExactly("call_1_1", "call_x", "call_1_3");
    assertThat(kept.at("/tool_calls/0/id").asText()).isEqualTo("call_1_1");
    assertThat(kept.at("/tool_calls/2/id").asText()).isEqualTo("call_1_3");
    for (int i = 0; i < calls.size(); i++) {
      assertThat(AgentTranscript.toolMessage(calls.get(i).id(), "ok").path("tool_call_id").asText())
          .isEqualTo(kept.path("tool_calls").get(i).path("id").asText());
    }
    assertThat(answer.at("/tool_calls/0").has("id")).as("the answer itself is not changed").isFalse();
  }

  /**
   * An id made up for a call without one equalled the id the model gave another call of the same
   * answer; two calls under one id (made up or the model's twice) leave a provider unable to tell
   * which tool message answers which. Every call of the kept message has an id of its own.
   */
  @Test
  void everyCallKeepsAnIdOfItsOwn() throws Exception {
    ObjectNode answer = (ObjectNode) JSON.readTree(
        "{\"role\":\"assistant\",\"tool_calls\":["
            + "{\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}},"
            + "{\"id\":\"call_2_1\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}},"
            + "{\"id\":\"call_2_1\",\"type\":\"function\",\"function\":{\"name\":\"h\",\"arguments\":\"{}\"}},"
            + "{\"id\":\"call_2_3_2\",\"type\":\"function\",\"function\":{\"name\":\"k\",\"arguments\":\"{}\"}}]}");

    var calls = AgentTranscript.toolCalls(AgentTranscript.assistantMessage(answer, null, 2));

    assertThat(calls).extracting(AgentTranscript.ToolCall::function).containsExactly("f", "g", "h", "k");
    assertThat(calls).extracting(AgentTranscript.ToolCall::id).doesNotHaveDuplicates().contains("call_2_1", "call_2_3_2");
    assertThat(calls.get(0).id()).isNotEqualTo("call_2_1");
  }

  /**
   * A {@code tool_calls} entry that is not an object was kept in the message sent back, which a
   * provider refuses, failing the task at its next step. It is not a call: the kept message leaves
   * it out, and a message left with no call has no {@code tool_calls}.
   */
  @Test
  void anEntryThatIsNotAnObjectIsNoCall() throws Exception {
    ObjectNode answer = (ObjectNode) JSON.readTree(
        "{\"role\":\"assistant\",\"tool_calls\":[\"f\",7,null,"
            + "{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}");

    ObjectNode kept = AgentTranscript.assistantMessage(answer, null, 1);

    assertThat(kept.get("tool_calls")).hasSize(1);
    assertThat(AgentTranscript.toolCalls(kept)).extracting(AgentTranscript.ToolCall::function).containsExactly("g");

    ObjectNode none = AgentTranscript.assistantMessage(
        (ObjectNode) JSON.readTree("{\"role\":\"assistant\",\"content\":\"done\",\"tool_calls\":[\"f\"]}"), null, 1);
    assertThat(none.has("tool_calls")).isFalse();
    assertThat(AgentTranscript.toolCalls(none)).isEmpty();
  }
}
