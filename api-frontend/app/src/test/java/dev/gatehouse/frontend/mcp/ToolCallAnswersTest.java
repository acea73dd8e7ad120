package dev.gatehouse.frontend.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.workflows.tool.ToolCallResult;
import org.junit.jupiter.api.Test;

/** What an agent gets for an MCP tool's result: a probe's upstream answered {"result":{}}, which reached the agent without the content MCP requires. */
class ToolCallAnswersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void anMcpResultWithoutContentGetsAnEmptyOne() throws Exception {
    assertThat(ToolCallAnswers.result(true, new ToolCallResult(200, JSON.readTree("{}"))).toString()).isEqualTo("{\"content\":[]}");
    assertThat(ToolCallAnswers.result(true, new ToolCallResult(200, JSON.readTree("{\"structuredContent\":{\"a\":1}}"))).path("content").isArray())
        .isTrue();
    String whole = "{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"isError\":false}";
    assertThat(ToolCallAnswers.result(true, new ToolCallResult(200, JSON.readTree(whole))).toString()).isEqualTo(whole);
  }
}
