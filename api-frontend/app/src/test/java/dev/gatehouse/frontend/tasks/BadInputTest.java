package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Everything a client can get wrong gets a 4xx JSON error with a stable code, and starts nothing. */
class BadInputTest {
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  private static String pipeline(String steps) {
    return "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":" + steps + "}}";
  }

  static Stream<Arguments> badSubmissions() {
    return Stream.of(
        Arguments.of("malformed JSON", "{\"workflow\":", 400, "invalid_json"),
        Arguments.of("empty body", "", 400, "invalid_json"),
        Arguments.of("only white space", " \n ", 400, "invalid_json"),
        Arguments.of("trailing garbage", "{} {}", 400, "invalid_json"),
        Arguments.of("not an object", "[1,2]", 400, "invalid_request"),
        Arguments.of("unknown field", "{\"workflow\":\"pipeline\",\"pipline\":{}}", 400, "invalid_request"),
        Arguments.of("wrong type", "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":\"s1\"}}", 400, "invalid_request"),
        Arguments.of("unknown workflow", "{\"workflow\":\"saga\"}", 422, "unknown_workflow"),
        Arguments.of("no workflow", "{\"input\":{}}", 400, "invalid_request"),
        Arguments.of("null workflow", "{\"workflow\":null}", 400, "invalid_request"),
        Arguments.of("missing pipeline", "{\"workflow\":\"pipeline\"}", 400, "invalid_request"),
        Arguments.of("no steps", pipeline("[]"), 400, "invalid_request"),
        Arguments.of("a step id that is not text", pipeline("[{\"id\":5,\"tool\":\"t.add\"}]"), 400, "invalid_request"),
        Arguments.of("a timeout that is not text", "{\"workflow\":\"pipeline\",\"timeout\":30,\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}", 400, "invalid_request"),
        Arguments.of("unknown tool", pipeline("[{\"id\":\"a\",\"tool\":\"nope.nothing\"}]"), 422, "unknown_tool"),
        Arguments.of("cycle", pipeline("[{\"id\":\"a\",\"tool\":\"t.add\",\"dependsOn\":[\"b\"]},{\"id\":\"b\",\"tool\":\"t.add\",\"dependsOn\":[\"a\"]}]"), 400, "invalid_request"),
        Arguments.of("dangling dependsOn", pipeline("[{\"id\":\"a\",\"tool\":\"t.add\",\"dependsOn\":[\"ghost\"]}]"), 400, "invalid_request"),
        Arguments.of("duplicate ids", pipeline("[{\"id\":\"a\",\"tool\":\"t.add\"},{\"id\":\"a\",\"tool\":\"t.add\"}]"), 400, "invalid_request"),
        Arguments.of("malformed template", pipeline("[{\"id\":\"a\",\"tool\":\"t.add\",\"args\":{\"x\":\"${input.}\"}}]"), 400, "invalid_template"),
        Arguments.of("template reads a non-dependency", pipeline("[{\"id\":\"a\",\"tool\":\"t.add\"},{\"id\":\"b\",\"tool\":\"t.add\",\"args\":{\"x\":\"${steps.a.output}\"}}]"), 400, "invalid_template"),
        Arguments.of("SQL-looking tool name", pipeline("[{\"id\":\"a\",\"tool\":\"x'; DROP TABLE tools; --\"}]"), 422, "unknown_tool"),
        Arguments.of("bad timeout", "{\"workflow\":\"pipeline\",\"timeout\":\"soon\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}", 400, "invalid_request"),
        Arguments.of("a workflow name of 10,000 characters", "{\"workflow\":\"" + "w".repeat(10_000) + "\"}", 400, "invalid_request"),
        Arguments.of("a tool name of 10,000 characters", pipeline("[{\"id\":\"a\",\"tool\":\"" + "t".repeat(10_000) + "\"}]"), 400, "invalid_request"),
        Arguments.of("a model name of 10,000 characters", pipeline("[{\"id\":\"a\",\"model\":\"" + "m".repeat(10_000) + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}]"), 400, "invalid_request"),
        Arguments.of("input nested 501 levels", "{\"workflow\":\"pipeline\",\"input\":{\"d\":" + "[".repeat(500) + "]".repeat(500) + "},\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}", 400, "invalid_request"),
        Arguments.of("arguments that nest 501 levels once filled", "{\"workflow\":\"pipeline\",\"input\":{\"d\":" + "[".repeat(300) + "]".repeat(300) + "},\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\",\"args\":{\"x\":" + "[".repeat(200) + "\"${input.d}\"" + "]".repeat(200) + "}}]}}", 400, "expansion_too_large"),
        Arguments.of("oversized body", "{\"workflow\":\"pipeline\",\"input\":\"" + "x".repeat(600 * 1024) + "\"}", 413, "request_too_large"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSubmissions")
  void badSubmissionsAreRejectedAndStartNothing(String what, String body, int status, String code) {
    int before = taskCount();
    HttpResponse<String> r = gh.post("/v1/tasks", KEY_A, body);
    assertError(r, status, code);
    assertThat(taskCount()).as("tasks after " + what).isEqualTo(before);
  }

  /** Jackson would read it as UTF-16 (its first bytes hold NULs), though it passes the UTF-8 check: two readers, one body. */
  @Test
  void aUtf16BodyWithoutAByteOrderMarkIsRefused() {
    int before = taskCount();
    HttpResponse<String> r =
        gh.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(gh.api() + "/v1/tasks"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(
                    pipeline("[{\"id\":\"a\",\"tool\":\"t.add\"}]").getBytes(java.nio.charset.StandardCharsets.UTF_16LE)))
                .header("Content-Type", "application/json"),
            KEY_A);
    assertError(r, 400, "invalid_json");
    assertThat(taskCount()).isEqualTo(before);
  }

  @Test
  void aBadIdempotencyKeyIsRejected() {
    HttpResponse<String> r =
        gh.post("/v1/tasks", KEY_A, pipeline("[{\"id\":\"a\",\"tool\":\"t.add\"}]"), "Idempotency-Key", "x".repeat(300));
    assertError(r, 400, "invalid_request");
    // Two keys: which would it be? Refused, and nothing starts (a probe saw the first one count).
    int before = taskCount();
    HttpResponse<String> two =
        gh.post("/v1/tasks", KEY_A, pipeline("[{\"id\":\"a\",\"tool\":\"t.add\"}]"), "Idempotency-Key", "k-1", "Idempotency-Key", "k-2");
    assertError(two, 400, "invalid_request");
    assertThat(json(two).get("error").get("message").asText()).contains("one Idempotency-Key");
    assertThat(taskCount()).isEqualTo(before);
  }

  @Test
  void missingOrWrongKeysGet401WithAChallenge() {
    for (String key : new String[] {null, "wrong-key", "x".repeat(1000)}) {
      HttpResponse<String> r = gh.get("/v1/tasks", key);
      assertError(r, 401, "unauthorized");
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    }
    HttpResponse<String> basic =
        gh.send(HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks")).header("Authorization", "Basic Zm9vOmJhcg=="), null);
    assertError(basic, 401, "unauthorized");
    // Unknown routes under /v1 are not revealed to unauthenticated callers either.
    assertError(gh.get("/v1/secret-things", null), 401, "unauthorized");
  }

  @Test
  void badQueryParametersAndIdsAre4xx() {
    assertError(gh.get("/v1/tasks?status=DONE", KEY_A), 400, "invalid_request");
    assertError(gh.get("/v1/tasks?limit=0", KEY_A), 400, "invalid_request");
    assertError(gh.get("/v1/tasks?limit=abc", KEY_A), 400, "invalid_request");
    assertError(gh.get("/v1/tasks?cursor=%25%25%25", KEY_A), 400, "invalid_request");
    assertError(gh.get("/v1/tasks?cursor=bm90LWEtY3Vyc29y", KEY_A), 400, "invalid_request");
    assertError(gh.get("/v1/tasks/task_doesnotexist", KEY_A), 404, "task_not_found");
    assertError(gh.get("/v1/tasks/task_doesnotexist/trace", KEY_A), 404, "task_not_found");
    assertError(gh.get("/v1/tasks/..%2F..%2Fetc%2Fpasswd", KEY_A), 400, "invalid_request");
    assertError(gh.get("/v1/tasks/..%5C..%5Cetc", KEY_A), 400, "invalid_request");
    assertError(gh.get("/v1/tasks/x'%20OR%201=1", KEY_A), 404, "task_not_found");
    assertError(gh.post("/v1/tasks/task_doesnotexist/cancel", KEY_A, ""), 404, "task_not_found");
    String id = gh.submit(pipeline("[{\"id\":\"a\",\"tool\":\"t.weather\",\"args\":{\"city\":\"Q\"}}]"));
    assertError(gh.get("/v1/tasks/" + id + "?wait=forever", KEY_A), 400, "invalid_request");
  }

  @Test
  void unknownRoutesAndMethodsGetJsonErrors() {
    assertError(gh.get("/v1/nothing-here", KEY_A), 404, "not_found");
    assertError(gh.get("/elsewhere", null), 404, "not_found");
    HttpResponse<String> put =
        gh.send(HttpRequest.newBuilder(URI.create(gh.api() + "/v1/tasks")).PUT(HttpRequest.BodyPublishers.ofString("{}")), KEY_A);
    assertError(put, 405, "method_not_allowed");
  }

  private static int taskCount() {
    return json(gh.get("/v1/tasks?limit=200", KEY_A)).get("tasks").size();
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    JsonNode error = json(r).get("error");
    assertThat(error).as(r.body()).isNotNull();
    if (code != null) {
      assertThat(error.get("code").asText()).isEqualTo(code);
    }
    assertThat(error.get("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(r.body().length()).as("a refusal does not repeat what it refuses at any length").isLessThan(2_000);
    assertThat(error.get("requestId").asText()).isNotBlank();
    assertThat(r.headers().firstValue("X-Request-Id")).hasValue(error.get("requestId").asText());
  }
}
