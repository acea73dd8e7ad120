package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The task API end to end: real HTTP, real PostgreSQL, the Temporal test server, a real tool upstream. */
class TaskApiTest {
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  private static final String THREE_STEPS =
      """
      {"workflow":"pipeline","input":{"city":"Oslo","extra":4},
       "pipeline":{"steps":[
         {"id":"w","tool":"t.weather","args":{"city":"${input.city}"}},
         {"id":"sum","tool":"t.add","args":{"a":"${steps.w.output.tempC}","b":"${input.extra}"},"dependsOn":["w"]},
         {"id":"say","tool":"t.echo","args":{"text":"${steps.w.output.city} ${steps.sum.output.sum}","n":"${steps.sum.output.sum}"},"dependsOn":["sum"]}]}}
      """;

  @Test
  void submitWaitResultAndTrace() {
    HttpResponse<String> submitted = gh.post("/v1/tasks", KEY_A, THREE_STEPS);
    assertThat(submitted.statusCode()).isEqualTo(202);
    assertThat(json(submitted).get("status").asText()).isEqualTo("RUNNING");
    String id = json(submitted).get("id").asText();
    assertThat(submitted.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/v1/tasks/" + id));

    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(task.get("workflow").asText()).isEqualTo("pipeline");
    assertThat(task.get("result").get("w").get("tempC").asInt()).isEqualTo(12);
    assertThat(task.get("result").get("sum").get("sum").asDouble()).isEqualTo(16.0);
    assertThat(task.get("result").get("say").get("got").toString()).isEqualTo("{\"text\":\"Oslo 16.0\",\"n\":16.0}");
    assertThat(task.get("error").isNull()).isTrue();
    assertThat(task.get("createdAt").asText()).isNotBlank();
    assertThat(task.get("closedAt").asText()).isNotBlank();
    // The view and the list say the same time (the view said nanoseconds, the list microseconds).
    JsonNode listed = null;
    for (JsonNode t : json(gh.get("/v1/tasks?limit=200", KEY_A)).get("tasks")) {
      if (t.get("id").asText().equals(id)) {
        listed = t;
      }
    }
    assertThat(listed).isNotNull();
    assertThat(json(gh.get("/v1/tasks/" + id, KEY_A)).get("closedAt").asText()).isEqualTo(listed.get("closedAt").asText());

    JsonNode trace = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A));
    assertThat(trace.get("status").asText()).isEqualTo("COMPLETED");
    List<String> ids = new ArrayList<>();
    trace.get("steps").forEach(s -> ids.add(s.get("id").asText()));
    assertThat(ids).containsExactly("w", "sum", "say");
    JsonNode sum = trace.get("steps").get(1);
    assertThat(sum.get("kind").asText()).isEqualTo("tool");
    assertThat(sum.get("name").asText()).isEqualTo("t.add");
    assertThat(sum.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(sum.get("attempts").asInt()).isEqualTo(1);
    assertThat(sum.get("input").toString()).isEqualTo("{\"a\":12,\"b\":4}");
    assertThat(sum.get("output").get("sum").asDouble()).isEqualTo(16.0);
    assertThat(sum.get("durationMs").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(sum.get("startedAt").asText()).isNotBlank();
  }

  @Test
  void aBodyNestedBeyondTheReadersLimitIsSaidSo() {
    HttpResponse<String> deep =
        gh.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"input\":" + "[".repeat(1_001) + "]".repeat(1_001) + "}");
    assertThat(deep.statusCode()).as(deep.body()).isEqualTo(400);
    assertThat(json(deep).path("error").path("code").asText()).isEqualTo("invalid_json");
    assertThat(json(deep).path("error").path("message").asText()).isEqualTo("the body nests deeper than 1000 levels");
  }

  @Test
  void aToolThatFailsTwiceIsRetriedWithOneIdempotencyKey() {
    String id =
        gh.submit(
            "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"f\",\"tool\":\"t.flaky\",\"args\":{\"name\":\"retry-me\"}}]}}");
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(task.get("result").get("f").get("attempt").asInt()).isEqualTo(3);

    JsonNode step = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps").get(0);
    assertThat(step.get("attempts").asInt()).isEqualTo(3);
    assertThat(step.get("status").asText()).isEqualTo("COMPLETED");

    List<String> keys = gh.tools.keysByPath.get("/flaky/retry-me");
    assertThat(keys).hasSize(3);
    assertThat(keys.stream().distinct().toList()).singleElement().asString().startsWith(id + "/");
  }

  @Test
  void aRepeatedSubmitWithTheSameIdempotencyKeyReturnsTheSameTask() {
    String body =
        "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"e\",\"tool\":\"t.weather\",\"args\":{\"city\":\"Idem\"}}]}}";
    HttpResponse<String> first = gh.post("/v1/tasks", KEY_A, body, "Idempotency-Key", "order-42");
    HttpResponse<String> again = gh.post("/v1/tasks", KEY_A, body, "Idempotency-Key", "order-42");
    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(again.statusCode()).isEqualTo(200);
    String id = json(first).get("id").asText();
    assertThat(json(again).get("id").asText()).isEqualTo(id);
    assertThat(gh.await(id).get("status").asText()).isEqualTo("COMPLETED");
    assertThat(gh.tools.keysByPath.get("/weather/Idem")).hasSize(1);
    // A retry whose client wrote the members in another order, with other whitespace, is the same request.
    String reordered =
        "{ \"pipeline\": {\"steps\": [{\"args\": {\"city\": \"Idem\"}, \"tool\": \"t.weather\", \"id\": \"e\"}]},\n \"workflow\": \"pipeline\" }";
    HttpResponse<String> retried = gh.post("/v1/tasks", KEY_A, reordered, "Idempotency-Key", "order-42");
    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
    assertThat(json(retried).get("id").asText()).isEqualTo(id);

    // The same key from another agent is another task; a different body under the same key is refused.
    HttpResponse<String> otherAgent = gh.post("/v1/tasks", KEY_B, body, "Idempotency-Key", "order-42");
    assertThat(otherAgent.statusCode()).isEqualTo(202);
    assertThat(json(otherAgent).get("id").asText()).isNotEqualTo(id);
    HttpResponse<String> changed =
        gh.post("/v1/tasks", KEY_A, body.replace("Idem", "Other"), "Idempotency-Key", "order-42");
    assertThat(changed.statusCode()).isEqualTo(409);
    assertThat(json(changed).get("error").get("code").asText()).isEqualTo("idempotency_key_reused");
  }

  @Test
  void aStepThatFailsForGoodFailsTheTaskAndNamesTheStep() {
    String id =
        gh.submit(
            "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"bad\",\"tool\":\"t.status\",\"args\":{\"code\":404}},"
                + "{\"id\":\"never\",\"tool\":\"t.weather\",\"args\":{\"city\":\"Never\"},\"dependsOn\":[\"bad\"]}]}}");
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).isEqualTo("FAILED");
    assertThat(task.get("error").get("code").asText()).isEqualTo("step_failed");
    assertThat(task.get("error").get("step").asText()).isEqualTo("bad");
    assertThat(task.get("error").get("message").asText()).contains("HTTP 404");
    assertThat(task.get("result").isNull()).isTrue();
    JsonNode step = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps").get(0);
    assertThat(step.get("status").asText()).isEqualTo("FAILED");
    assertThat(step.get("attempts").asInt()).isEqualTo(1);
    assertThat(step.get("error").get("code").asText()).isEqualTo("upstream_client_error");
    assertThat(gh.tools.keysByPath).doesNotContainKey("/weather/Never");
    // The task index saw the failure too.
    JsonNode failed = json(gh.get("/v1/tasks?status=FAILED", KEY_A));
    assertThat(failed.get("tasks").toString()).contains(id);
  }

  @Test
  void argumentsThatDoNotMatchTheToolsInputSchemaFailTheStepBeforeAnyCall() {
    String id =
        gh.submit(
            "{\"workflow\":\"pipeline\",\"input\":{\"n\":42},\"pipeline\":{\"steps\":[{\"id\":\"w\",\"tool\":\"t.weather\",\"args\":{\"city\":\"${input.n}\"}}]}}");
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).isEqualTo("FAILED");
    assertThat(task.get("error").get("message").asText()).contains("inputSchema").contains("city");
    JsonNode step = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps").get(0);
    assertThat(step.get("error").get("code").asText()).isEqualTo("invalid_arguments");
    assertThat(step.get("attempts").asInt()).isEqualTo(1);
    assertThat(gh.tools.keysByPath).doesNotContainKey("/weather/42");
  }

  @Test
  void anOversizedToolAnswerFailsTheStepWithoutRetry() {
    String id = gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"big\",\"tool\":\"t.big\"}]}}");
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).isEqualTo("FAILED");
    assertThat(task.get("error").get("message").asText()).contains("larger than the cap");
    assertThat(gh.tools.keysByPath.get("/big")).hasSize(1);
  }

  @Test
  void cancelStopsARunningTask() throws Exception {
    String id =
        gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"cancel-me\"}}]}}");
    assertThat(gh.tools.arrived("cancel-me").await(20, TimeUnit.SECONDS)).isTrue();
    HttpResponse<String> cancel = gh.post("/v1/tasks/" + id + "/cancel", KEY_A, "");
    assertThat(cancel.statusCode()).isEqualTo(202);
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).isEqualTo("CANCELED");
    assertThat(task.get("error").get("code").asText()).isEqualTo("canceled");
    // The step was still running when the task closed; its activity never acknowledged.
    JsonNode step = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps").get(0);
    assertThat(step.get("id").asText()).isEqualTo("h");
    assertThat(step.get("status").asText()).isEqualTo("CANCELED");
    assertThat(step.get("error").get("code").asText()).isEqualTo("canceled");
    assertThat(step.get("endedAt").asText()).isNotBlank();
    // Its attempt reached the upstream, but the engine writes an attempt's start only when it ends:
    // the history cannot say how many there were, so the trace does not say 0.
    assertThat(step.has("attempts")).isTrue();
    assertThat(step.get("attempts").isNull()).as(step.toString()).isTrue();
    HttpResponse<String> again = gh.post("/v1/tasks/" + id + "/cancel", KEY_A, "");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(json(again).get("error").get("code").asText()).isEqualTo("task_closed");
    gh.tools.release("cancel-me");
  }

  @Test
  void aTaskPastItsTimeoutEndsTimedOut() {
    String id =
        gh.submit(
            "{\"workflow\":\"pipeline\",\"timeout\":\"1s\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"timeout-me\"}}]}}");
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).isEqualTo("TIMED_OUT");
    gh.tools.release("timeout-me");
    assertThat(json(gh.get("/v1/tasks?status=TIMED_OUT", KEY_A)).get("tasks").toString()).contains(id);
  }

  @Test
  void listingPagesNewestFirstAndShowsOnlyTheAgentsOwnTasks() {
    List<String> mine = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r =
          gh.post(
              "/v1/tasks",
              KEY_B,
              "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"w\",\"tool\":\"t.weather\",\"args\":{\"city\":\"L" + i + "\"}}]}}");
      mine.add(0, json(r).get("id").asText());
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page =
          json(gh.get("/v1/tasks?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), KEY_B));
      page.get("tasks").forEach(t -> seen.add(t.get("id").asText()));
      cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
    } while (cursor != null);
    assertThat(seen).containsSubsequence(mine).doesNotHaveDuplicates();

    // Agent A neither sees nor touches agent B's tasks: the same 404 as a missing task.
    String foreign = mine.get(0);
    assertThat(json(gh.get("/v1/tasks?limit=200", KEY_A)).get("tasks").toString()).doesNotContain(foreign);
    for (HttpResponse<String> r :
        List.of(
            gh.get("/v1/tasks/" + foreign, KEY_A),
            gh.get("/v1/tasks/" + foreign + "/trace", KEY_A),
            gh.post("/v1/tasks/" + foreign + "/cancel", KEY_A, ""))) {
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(json(r).get("error").get("code").asText()).isEqualTo("task_not_found");
    }
  }

  @Test
  void metricsAndHealthAreOnTheAdminPort() {
    String id = gh.submit(THREE_STEPS);
    gh.await(id);
    String metrics = gh.adminGet("/prometheus").body();
    assertThat(metrics).contains("gatehouse_http_requests_total{route=\"/v1/tasks\",method=\"POST\",status=\"202\",}");
    assertThat(metrics).contains("gatehouse_http_requests_total{route=\"/v1/tasks/{id}\",method=\"GET\",status=\"200\",}");
    assertThat(metrics).contains("gatehouse_tasks_started_total{workflow=\"pipeline\",}");
    assertThat(metrics).contains("gatehouse_tasks_finished_total{workflow=\"pipeline\",status=\"COMPLETED\",}");
    assertThat(metrics).contains("gatehouse_tool_call_duration_seconds_bucket{tool=\"t.add\",outcome=\"ok\"");
    assertThat(metrics).contains("gatehouse_tool_call_attempts_total{tool=\"t.add\",outcome=\"ok\",retry=\"false\",}");
    assertThat(metrics).contains("jvm_memory_bytes_used");

    HttpResponse<String> health = gh.adminGet("/healthcheck");
    assertThat(health.statusCode()).isEqualTo(200);
    JsonNode checks = json(health);
    assertThat(checks.get("postgres").get("healthy").asBoolean()).isTrue();
    assertThat(checks.get("temporal").get("healthy").asBoolean()).isTrue();
    assertThat(checks.get("secrets").get("healthy").asBoolean()).as(checks.toString()).isTrue();
  }
}
