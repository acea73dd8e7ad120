package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.mcp.McpToolResolver.McpItem;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.tools.ArgumentSchemaPolicy;
import dev.gatehouse.policies.tools.ToolArgumentsPolicy;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.Caller;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A call's arguments against the tool: URL placeholders (HTTP tools), then the inputSchema. */
class ValidateArgumentsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCHEMA =
      "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\",\"maximum\":7}},"
          + "\"required\":[\"city\"]}";

  private final ValidateArguments step = new ValidateArguments(new ToolArgumentsPolicy(1024), new ArgumentSchemaPolicy());

  private static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static ToolCall call(String tool, String args) {
    return ToolCall.of(tool, json(args), new Caller("ten_a", "agt_a", List.of()), new CallContext(null, null, 1));
  }

  private Decision httpTool(String args) {
    ToolDefinition tool =
        new ToolDefinition(
            "t.weather", "", new HttpEndpoint("GET", "http://127.0.0.1:1/weather/{city}", Map.of()), json(SCHEMA),
            Duration.ofSeconds(1), RetrySpec.DEFAULT, null, null);
    ToolExchange x = new ToolExchange(call("t.weather", args));
    x.resolved(tool);
    return step.before(x);
  }

  private Decision mcpTool(String args) {
    McpServerDefinition server =
        new McpServerDefinition(
            "wx", null, McpServerDefinition.STREAMABLE_HTTP, "http://127.0.0.1:1/mcp", null, null, null, null, null, null, null,
            null, null, null, null, null);
    ToolExchange x = new ToolExchange(call("wx.forecast", args));
    x.resolved(new McpItem(server, McpCatalogEntry.TOOL, "forecast", "wx.forecast", json("{\"inputSchema\":" + SCHEMA + "}")));
    return step.before(x);
  }

  @Test
  void argumentsThatFitAreAllowed() {
    assertThat(httpTool("{\"city\":\"Oslo\",\"days\":3}").allowed()).isTrue();
    assertThat(mcpTool("{\"city\":\"Oslo\"}").allowed()).isTrue();
  }

  @Test
  void aMissingUrlPlaceholderIsDeniedBeforeTheSchemaIsConsulted() {
    // Fails both checks: the placeholder's policy answers.
    Decision d = httpTool("{\"days\":30}");
    assertThat(d.allowed()).isFalse();
    assertThat(d.policy()).isEqualTo(ToolArgumentsPolicy.NAME);
    assertThat(d.code()).isEqualTo("invalid_arguments");
    assertThat(d.reason()).isEqualTo("t.weather needs argument 'city' (it is part of the URL)");
  }

  @Test
  void argumentsAgainstAnHttpToolsSchemaAreDenied() {
    Decision d = httpTool("{\"city\":\"Oslo\",\"days\":30}");
    assertThat(d.allowed()).isFalse();
    assertThat(d.policy()).isEqualTo(ArgumentSchemaPolicy.NAME);
    assertThat(d.code()).isEqualTo("invalid_arguments");
    assertThat(d.reason()).startsWith("arguments of t.weather do not match its inputSchema: ").contains("days");
  }

  @Test
  void argumentsAgainstAnMcpToolsSchemaAreDenied() {
    Decision d = mcpTool("{\"days\":2}");
    assertThat(d.allowed()).isFalse();
    assertThat(d.policy()).isEqualTo(ArgumentSchemaPolicy.NAME);
    assertThat(d.reason()).startsWith("arguments of wx.forecast do not match its inputSchema: ").contains("city");
  }
}
