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

    ObjectNode kept = AgentTranscript.assistantMessage(answer, null);
    var calls = AgentTranscript.toolCalls(kept);

    assertThat(calls).extracting(AgentTranscript.ToolCall::id).containsExactly("call_1", "call_x", "call_3");
    assertThat(kept.at("/tool_calls/0/id").asText()).isEqualTo("call_1");
    assertThat(kept.at("/tool_calls/2/id").asText()).isEqualTo("call_3");
    for (int i = 0; i < calls.size(); i++) {
      assertThat(AgentTranscript.toolMessage(calls.get(i).id(), "ok").path("tool_call_id").asText())
          .isEqualTo(kept.path("tool_calls").get(i).path("id").asText());
    }
    assertThat(answer.at("/tool_calls/0").has("id")).as("the answer itself is not changed").isFalse();
  }
}
