package dev.gatehouse.frontend.core.errors;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One failure, one code, on every path: each failure type is made to happen for real (an upstream
 * that refuses, breaks, answers too much, a secret that is not set, bad arguments, an unknown or
 * forbidden tool) and read back from every place an agent or operator sees it: a pipeline task's
 * error and trace, a durable MCP call's answer and its task and trace, a direct MCP call's answer,
 * and a REST refusal. Every code read must be the catalog's.
 */
class ErrorCatalogPathsTest {
  private static TestGatehouse g;
  private static String session;
  private static String restrictedKey;
  private static final AtomicInteger IDS = new AtomicInteger(100);

  @BeforeAll
  static void start() throws Exception {
    g = TestGatehouse.start(c -> c.getLimits().setMaxToolResponse(io.dropwizard.util.DataSize.kibibytes(64)));
    String base = g.tools.base();
    // Each failing tool twice: a GET (MCP runs it directly) and a POST (MCP runs it as a task).
    tool("e.status", "GET", base + "/status/{code}", null, null);
    tool("e.status-write", "POST", base + "/status/{code}", null, null);
    tool("e.big", "GET", base + "/big", null, null);
    tool("e.big-write", "POST", base + "/big", null, null);
    tool("e.secret", "GET", base + "/weather/{city}", "{\"X-Key\":\"{{secret:e-not-set}}\"}", null);
    tool("e.secret-write", "POST", base + "/echo", "{\"X-Key\":\"{{secret:e-not-set}}\"}", null);
    String schema = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"minLength\":3}},\"required\":[\"city\"]}";
    tool("e.strict", "GET", base + "/weather/{city}", null, schema);
    tool("e.strict-write", "POST", base + "/echo", null, schema);
    session = McpWire.initialize(g.api() + "/mcp", KEY_A);
    restrictedKey = restrictedAgentKey();
  }

  @AfterAll
  static void stop() {
    g.close();
  }

  // ------------------------------------------------------------------ tools that ran and failed

  @Test
  void anUpstreamThatRefusesIsUpstreamClientErrorEverywhere() {
    everyPathSays(ErrorCode.UPSTREAM_CLIENT_ERROR, "e.status", "{\"code\":\"422\"}");
  }

  @Test
  void anUpstreamThatBreaksIsUpstreamErrorEverywhere() {
    everyPathSays(ErrorCode.UPSTREAM_ERROR, "e.status", "{\"code\":\"500\"}");
  }

  @Test
  void anAnswerOverTheCapIsResponseTooLargeEverywhere() {
    everyPathSays(ErrorCode.RESPONSE_TOO_LARGE, "e.big", "{}");
  }

  @Test
  void aSecretThatIsNotSetIsCredentialsUnavailableEverywhere() {
    everyPathSays(ErrorCode.CREDENTIALS_UNAVAILABLE, "e.secret", "{\"city\":\"Oslo\"}");
  }

  /** A pipeline step, a durable MCP call (with its task and trace) and a direct MCP call of the same failure. */
  private static void everyPathSays(ErrorCode expected, String tool, String args) {
    assertThat(expected.toolOutcome()).isTrue();

    // 1. A pipeline task: the task's error is step_failed caused by the step's code; the trace says the code.
    JsonNode task = pipeline(tool, args);
    assertThat(task.path("status").asText()).isEqualTo("FAILED");
    assertThat(task.path("error").path("code").asText()).isEqualTo(ErrorCode.STEP_FAILED.code());
    assertThat(task.path("error").path("step").asText()).isEqualTo("s");
    assertThat(task.path("error").path("cause").asText()).isEqualTo(expected.code());
    assertThat(traceErrorCode(task.path("id").asText())).isEqualTo(expected.code());

    // 2. A durable MCP call: an isError result with the code, and its task and trace say the same.
    JsonNode durable = toolResult(tool + "-write", args);
    assertThat(durable.path("isError").asBoolean()).as(durable.toString()).isTrue();
    assertThat(errorMeta(durable).path("code").asText()).isEqualTo(expected.code());
    assertThat(errorMeta(durable).path("retryable").asBoolean()).isEqualTo(expected.retryable());
    assertThat(durable.path("content").get(0).path("text").asText()).isNotBlank();
    String taskId = durable.path("_meta").path("dev.gatehouse/task-id").asText();
    JsonNode callTask = json(g.get("/v1/tasks/" + taskId + "?wait=10s", KEY_A));
    assertThat(callTask.path("status").asText()).isEqualTo("FAILED");
    assertThat(callTask.path("error").path("code").asText()).isEqualTo(expected.code());
    assertThat(traceErrorCode(taskId)).isEqualTo(expected.code());

    // 3. A direct MCP call: the same isError result and code.
    JsonNode direct = toolResult(tool, args);
    assertThat(direct.path("isError").asBoolean()).as(direct.toString()).isTrue();
    assertThat(errorMeta(direct).path("code").asText()).isEqualTo(expected.code());
  }

  // ------------------------------------------------------------------ calls refused before they ran

  @Test
  void argumentsThatDoNotFitAreInvalidArgumentsEverywhere() {
    String bad = "{\"city\":\"x\"}";
    JsonNode task = pipeline("e.strict", bad);
    assertThat(task.path("error").path("cause").asText()).isEqualTo(ErrorCode.INVALID_ARGUMENTS.code());
    assertThat(traceErrorCode(task.path("id").asText())).isEqualTo(ErrorCode.INVALID_ARGUMENTS.code());
    assertRefused(rpc("e.strict", bad), ErrorCode.INVALID_ARGUMENTS);
    assertRefused(rpc("e.strict-write", bad), ErrorCode.INVALID_ARGUMENTS);
  }

  @Test
  void aToolNoOneRegisteredIsUnknownToolEverywhere() {
    HttpResponse<String> rest = g.post("/v1/tasks", KEY_A, pipelineBody("e.nothing", "{}"));
    assertRest(rest, ErrorCode.UNKNOWN_TOOL);
    assertRefused(rpc("e.nothing", "{}"), ErrorCode.UNKNOWN_TOOL);
  }

  @Test
  void aToolTheAgentMayNotUseIsToolNotAllowedEverywhere() {
    assertRest(g.post("/v1/tasks", restrictedKey, pipelineBody("e.big", "{}")), ErrorCode.TOOL_NOT_ALLOWED);
    String restrictedSession = McpWire.initialize(g.api() + "/mcp", restrictedKey);
    JsonNode answer =
        McpWire.message(McpWire.post(g.api() + "/mcp", restrictedKey, restrictedSession, callBody("e.big", "{}")).body());
    assertRefused(answer, ErrorCode.TOOL_NOT_ALLOWED);
  }

  @Test
  void aCanceledTaskIsCanceled() {
    String id = json(g.post("/v1/tasks", KEY_A, pipelineBody("t.hold", "{\"name\":\"catalog-cancel\"}"))).path("id").asText();
    try {
      assertThat(g.tools.arrived("catalog-cancel").await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    assertThat(g.post("/v1/tasks/" + id + "/cancel", KEY_A, "").statusCode()).isEqualTo(202);
    JsonNode task = json(g.get("/v1/tasks/" + id + "?wait=20s", KEY_A));
    assertThat(task.path("status").asText()).isEqualTo("CANCELED");
    assertThat(task.path("error").path("code").asText()).isEqualTo(ErrorCode.CANCELED.code());
    g.tools.release("catalog-cancel");
  }

  // ------------------------------------------------------------------ helpers

  private static void tool(String name, String method, String url, String headers, String schema) {
    String body =
        "{\"name\":\"" + name + "\",\"http\":{\"method\":\"" + method + "\",\"url\":\"" + url + "\""
            + (headers == null ? "" : ",\"headers\":" + headers) + "},\"timeout\":\"5s\",\"retry\":{\"maxAttempts\":1}"
            + (schema == null ? "" : ",\"inputSchema\":" + schema) + "}";
    HttpResponse<String> r = g.post("/admin/v1/tools", ADMIN_KEY, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  /** A key of an agent that may use e.status only. */
  private static String restrictedAgentKey() {
    String tenant = json(g.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"catalog\"}")).path("id").asText();
    String agent =
        json(g.post("/admin/v1/agents", ADMIN_KEY,
                "{\"tenant\":\"" + tenant + "\",\"name\":\"narrow\",\"tools\":{\"allow\":[\"e.status\"]},\"workflows\":{\"allow\":[\"pipeline\"]}}"))
            .path("id").asText();
    return json(g.post("/admin/v1/agents/" + agent + "/keys", ADMIN_KEY, "")).path("key").asText();
  }

  private static String pipelineBody(String tool, String args) {
    return "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"" + tool + "\",\"args\":" + args + "}]}}";
  }

  private static JsonNode pipeline(String tool, String args) {
    HttpResponse<String> submitted = g.post("/v1/tasks", KEY_A, pipelineBody(tool, args));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    return g.await(json(submitted).path("id").asText());
  }

  private static String traceErrorCode(String taskId) {
    JsonNode steps = json(g.get("/v1/tasks/" + taskId + "/trace", KEY_A)).path("steps");
    assertThat(steps.size()).isEqualTo(1);
    return steps.get(0).path("error").path("code").asText();
  }

  private static String callBody(String tool, String args) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + IDS.incrementAndGet() + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool + "\",\"arguments\":" + args + "}}";
  }

  private static JsonNode rpc(String tool, String args) {
    return McpWire.message(McpWire.post(g.api() + "/mcp", KEY_A, session, callBody(tool, args)).body());
  }

  private static JsonNode toolResult(String tool, String args) {
    JsonNode answer = rpc(tool, args);
    assertThat(answer.has("error")).as(answer.toString()).isFalse();
    return answer.path("result");
  }

  private static JsonNode errorMeta(JsonNode result) {
    return result.path("_meta").path("dev.gatehouse/error");
  }

  private static void assertRefused(JsonNode answer, ErrorCode expected) {
    assertThat(expected.toolOutcome()).isFalse();
    assertThat(answer.has("result")).as(answer.toString()).isFalse();
    assertThat(answer.path("error").path("code").asInt()).isEqualTo(expected.jsonRpcCode());
    assertThat(answer.path("error").path("data").path("code").asText()).isEqualTo(expected.code());
  }

  private static void assertRest(HttpResponse<String> r, ErrorCode expected) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(expected.httpStatus());
    assertThat(json(r).path("error").path("code").asText()).isEqualTo(expected.code());
    assertThat(r.body()).doesNotContain("Exception");
  }
}
