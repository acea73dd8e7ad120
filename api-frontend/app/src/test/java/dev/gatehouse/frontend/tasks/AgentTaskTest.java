package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.durable.TaskSweeper;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.frontend.testing.ToolServer;
import io.prometheus.client.CollectorRegistry;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code agent} task on a real Gatehouse: the loop's model calls go to a FAKE OpenAI-compatible
 * provider on loopback (scripted answers; no LLM runs here) through the real invoker, and its tool
 * calls to the test's HTTP tools through the real tool activity. What is refused at submit, the
 * loop and its trace, refused tool calls, and a budget the task never passes.
 */
class AgentTaskTest {
  static TestGatehouse gh;
  static FakeProvider fake;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
    fake = new FakeProvider();
    created(gh.post("/admin/v1/providers", ADMIN_KEY,
        "{\"name\":\"ag-fake\",\"type\":\"openai\",\"baseUrl\":\"" + fake.openaiBase() + "\",\"timeout\":\"5s\"}"));
    // Per million tokens: 1000 in and 2000 out, so a call of 100 in and 50 out costs 0.2.
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"ag-model\",\"targets\":[{\"provider\":\"ag-fake\",\"model\":\"fake-model\"}],"
            + "\"retry\":{\"maxAttempts\":1},\"prices\":{\"input\":1000,\"output\":2000},\"maxOutput\":1000}"));
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"ag-unpriced\",\"targets\":[{\"provider\":\"ag-fake\",\"model\":\"fake-model\"}]}"));
  }

  @AfterAll
  static void stop() {
    gh.close();
    fake.close();
  }

  @BeforeEach
  void resetFake() {
    fake.reset();
  }

  private static HttpResponse<String> created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return r;
  }

  private static String agent(String input) {
    return "{\"workflow\":\"agent\",\"input\":" + input + "}";
  }

  @Test
  void theModelCallsTwoToolsAtOnceReadsTheirResultsAndAnswers() {
    fake.enqueue(
        Reply.toolCall("c1", "t_weather", "{\"city\":\"Oslo\"}").withToolCall("c2", "t_echo", "{\"note\":\"hi\"}"),
        Reply.text("Sunny in Oslo."));
    String id =
        gh.submit(agent("{\"model\":\"ag-model\",\"goal\":\"Weather in Oslo?\",\"tools\":[\"t.weather\",\"t.echo\"],"
            + "\"limits\":{\"maxSteps\":5,\"maxOutputTokens\":100}}"));
    JsonNode task = gh.await(id);

    assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("COMPLETED");
    JsonNode result = task.get("result");
    assertThat(result.get("stopReason").asText()).isEqualTo("completed");
    assertThat(result.get("content").asText()).isEqualTo("Sunny in Oslo.");
    assertThat(result.get("steps").asInt()).isEqualTo(2);
    assertThat(result.get("toolCalls").asInt()).isEqualTo(2);
    assertThat(result.get("usage").get("totalTokens").asLong()).isEqualTo(2 * 15);

    List<FakeProvider.Request> calls = fake.requests("/v1/chat/completions");
    assertThat(calls).hasSize(2);
    JsonNode first = calls.get(0).json();
    assertThat(first.get("model").asText()).isEqualTo("fake-model");
    assertThat(first.get("max_tokens").asInt()).isEqualTo(100);
    assertThat(first.get("tools")).extracting(t -> t.get("function").get("name").asText()).containsExactly("t_echo", "t_weather");
    assertThat(first.get("tools").get(1).get("function").get("parameters").get("required").get(0).asText()).isEqualTo("city");
    JsonNode messages = calls.get(1).json().get("messages");
    assertThat(messages).hasSize(4);
    assertThat(messages.get(2).get("role").asText()).isEqualTo("tool");
    assertThat(messages.get(2).get("tool_call_id").asText()).isEqualTo("c1");
    assertThat(messages.get(2).get("content").asText()).contains("Oslo");
    assertThat(messages.get(3).get("tool_call_id").asText()).isEqualTo("c2");

    JsonNode steps = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps");
    assertThat(steps).extracting(s -> s.get("id").asText() + " " + s.get("kind").asText() + " " + s.get("name").asText() + " " + s.get("status").asText())
        .containsExactly(
            "model-1 model ag-model COMPLETED",
            "tool-1.1 tool t.weather COMPLETED",
            "tool-1.2 tool t.echo COMPLETED",
            "model-2 model ag-model COMPLETED");
    assertThat(steps.get(0).get("model").get("provider").asText()).isEqualTo("ag-fake");
    assertThat(steps.get(1).get("input").get("city").asText()).isEqualTo("Oslo");
  }

  @Test
  void aLargeToolResultIsStoredOutsideTheHistoryTracedByReferenceAndReadOnlyByItsOwner() {
    int n = 40_000;
    String report = ToolServer.sized(n);
    fake.enqueue(Reply.toolCall("c1", "t_sized", "{\"n\":" + n + "}"), Reply.text("Read it."));
    String id =
        gh.submit(agent("{\"model\":\"ag-model\",\"goal\":\"Read the report\",\"tools\":[\"t.sized\"],"
            + "\"limits\":{\"maxSteps\":5,\"maxOutputTokens\":100}}"));
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("COMPLETED");

    // The provider read the result as a model reads any result (cut at 16 Ki), never the reference.
    FakeProvider.Request second = fake.requests("/v1/chat/completions").get(1);
    assertThat(second.body()).doesNotContain("gatehouse_result");
    assertThat(second.json().get("messages").get(2).get("content").asText())
        .isEqualTo(report.substring(0, 16_384) + "\n[gatehouse: the result was cut at 16384 of its " + n + " characters]");

    // The trace shows the reference in place of the output, and the next model step's request the reference.
    JsonNode steps = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps");
    JsonNode tool = steps.get(1);
    assertThat(tool.get("id").asText()).isEqualTo("tool-1.1");
    assertThat(tool.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(tool.get("output").isNull()).isTrue();
    JsonNode stored = tool.get("stored");
    String resultId = stored.get("id").asText();
    assertThat(resultId).matches("res_[a-z0-9]{20}");
    assertThat(stored.get("chars").asInt()).isEqualTo(n);
    assertThat(stored.get("preview").asText()).isEqualTo(report.substring(0, 1024));
    JsonNode sentInTrace = steps.get(2).get("input").get("messages").get(2);
    assertThat(sentInTrace.get("gatehouse_result").asText()).isEqualTo(resultId);
    assertThat(sentInTrace.get("content").asText()).hasSizeLessThan(1_200);
    assertThat(steps.toString()).doesNotContain(report.substring(20_000, 20_100));

    // Its owner reads the whole result.
    HttpResponse<String> read = gh.get("/v1/tasks/" + id + "/results/" + resultId, KEY_A);
    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    JsonNode result = json(read);
    assertThat(result.get("id").asText()).isEqualTo(resultId);
    assertThat(result.get("task").asText()).isEqualTo(id);
    assertThat(result.get("step").asText()).isEqualTo("tool-1.1");
    assertThat(result.get("chars").asInt()).isEqualTo(n);
    assertThat(result.get("cut").asBoolean()).isFalse();
    assertThat(result.get("content").asText()).isEqualTo(report);

    // An agent of another tenant: not its task, and not a result of its own task.
    HttpResponse<String> foreign = gh.get("/v1/tasks/" + id + "/results/" + resultId, KEY_B);
    assertThat(foreign.statusCode()).isEqualTo(404);
    assertThat(json(foreign).get("error").get("code").asText()).isEqualTo("task_not_found");
    assertThat(foreign.body()).doesNotContain("<20000>");
    String theirs =
        gh.submit(KEY_B, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"w\",\"tool\":\"t.weather\",\"args\":{\"city\":\"Rome\"}}]}}");
    HttpResponse<String> borrowed = gh.get("/v1/tasks/" + theirs + "/results/" + resultId, KEY_B);
    assertThat(borrowed.statusCode()).isEqualTo(404);
    assertThat(json(borrowed).get("error").get("code").asText()).isEqualTo("result_not_found");
    assertThat(borrowed.body()).doesNotContain("<20000>");

    // Unknown and malformed ids.
    HttpResponse<String> unknown = gh.get("/v1/tasks/" + id + "/results/res_" + "a".repeat(20), KEY_A);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).get("error").get("code").asText()).isEqualTo("result_not_found");
    for (String bad : List.of("res_short", "res_" + "A".repeat(20), "x".repeat(300), "res_" + "a".repeat(21), "%27%20OR%201%3D1")) {
      HttpResponse<String> r = gh.get("/v1/tasks/" + id + "/results/" + bad, KEY_A);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(json(r).get("error").get("code").asText()).isEqualTo("invalid_request");
    }

    // Once the task ended longer ago than the retention, the sweeper deletes the result; the trace keeps the reference.
    gh.db.jdbi().useHandle(h -> {
      h.execute("UPDATE tasks SET closed_at = now() - interval '8 days' WHERE id = ?", id);
      h.execute("UPDATE task_results SET created_at = now() - interval '8 days' WHERE task_id = ?", id);
    });
    sweeper().sweep();
    HttpResponse<String> gone = gh.get("/v1/tasks/" + id + "/results/" + resultId, KEY_A);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(json(gone).get("error").get("code").asText()).isEqualTo("result_not_found");
    assertThat(json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps").get(1).get("stored").get("id").asText()).isEqualTo(resultId);
  }

  private static TaskSweeper sweeper() {
    GatehouseMetrics metrics = new GatehouseMetrics(new CollectorRegistry());
    DurableCalls durable =
        new DurableCalls(
            gh.db.jdbi(), gh.application().temporal().client(), gh.config.getTemporal().getTaskQueue(), metrics, gh.application().audit(),
            new Admission(gh.db.jdbi(), gh.config.getAdmission().limits(), metrics));
    return new TaskSweeper(gh.db.jdbi(), durable, java.time.Duration.ofSeconds(30), java.time.Duration.ofHours(1));
  }

  @Test
  void aToolOutsideTheTaskAndArgumentsTheSchemaRefusesAreNotRunAndTheModelReadsWhy() {
    int weatherCalls = toolRequests("/weather/");
    fake.enqueue(
        Reply.toolCall("c1", "t_add", "{\"a\":1,\"b\":2}").withToolCall("c2", "t_weather", "{\"city\":\"\"}"),
        Reply.text("I could not."));
    String id = gh.submit(agent("{\"model\":\"ag-model\",\"goal\":\"Add and look\",\"tools\":[\"t.weather\"]}"));
    JsonNode task = gh.await(id);

    assertThat(task.get("result").get("stopReason").asText()).as(task.toString()).isEqualTo("completed");
    JsonNode messages = fake.requests("/v1/chat/completions").get(1).json().get("messages");
    assertThat(messages.get(2).get("content").asText()).contains("\"code\":\"tool_not_allowed\"").contains("t_add");
    assertThat(messages.get(3).get("content").asText()).contains("\"code\":\"invalid_arguments\"");
    assertThat(toolRequests("/weather/")).as("the refused call never reached the tool").isEqualTo(weatherCalls);
    assertThat(toolRequests("/add")).isZero();
    // The refused arguments are in the trace as the tool activity's own refusal.
    JsonNode steps = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps");
    JsonNode refused = steps.get(1);
    assertThat(refused.get("name").asText()).isEqualTo("t.weather");
    assertThat(refused.get("status").asText()).isEqualTo("FAILED");
    assertThat(refused.get("error").get("code").asText()).isEqualTo("invalid_arguments");
  }

  @Test
  void aModelThatKeepsAskingStopsOnTheTokenBudgetAndTheTaskNeverSpendsMore() throws Exception {
    fake.script(Reply.toolCall("c", "t_echo", "{\"more\":true}").withUsage(100, 50));
    long maxTokens = 1_500;
    String id =
        gh.submit(agent("{\"model\":\"ag-model\",\"goal\":\"Keep going\",\"tools\":[\"t.echo\"],"
            + "\"limits\":{\"maxSteps\":100,\"maxTokens\":" + maxTokens + ",\"maxOutputTokens\":200}}"));
    JsonNode task = gh.await(id);

    JsonNode result = task.get("result");
    assertThat(result.get("stopReason").asText()).as(task.toString()).isEqualTo("budget");
    long total = result.get("usage").get("totalTokens").asLong();
    assertThat(total).isLessThanOrEqualTo(maxTokens).isGreaterThan(maxTokens / 2);
    int steps = result.get("steps").asInt();
    assertThat(fake.requests("/v1/chat/completions")).as("the call over budget was never sent").hasSize(steps);
    assertThat(total).isEqualTo(steps * 150L);
    // The usage rows of the task add up to the result's totals.
    JsonNode rows = usageRows(id, steps);
    long rowTokens = 0;
    for (JsonNode row : rows) {
      rowTokens += row.get("inputTokens").asLong() + row.get("outputTokens").asLong();
    }
    assertThat(rowTokens).isEqualTo(total);
  }

  /**
   * An answer the provider billed but without a message fails its attempt, and the engine tries the
   * step again: the task counts what that attempt was billed, its usage rows add up to its
   * result's usage, and the trace says what the earlier attempt cost.
   */
  @Test
  void anAttemptRetriedAfterItsProviderBilledItCountsInTheTasksUsage() throws Exception {
    // ag-model makes one attempt; this one two.
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"ag-retried\",\"targets\":[{\"provider\":\"ag-fake\",\"model\":\"fake-model\"}],"
            + "\"retry\":{\"maxAttempts\":2,\"initialInterval\":\"100ms\"},\"prices\":{\"input\":1000,\"output\":2000},\"maxOutput\":1000}"));
    fake.enqueue(Reply.noChoice().withUsage(300, 7), Reply.text("Done.").withUsage(100, 20));
    String id =
        gh.submit(agent("{\"model\":\"ag-retried\",\"goal\":\"Say done\",\"limits\":{\"maxTokens\":5000,\"maxOutputTokens\":200}}"));
    JsonNode task = gh.await(id);

    JsonNode result = task.get("result");
    assertThat(result.path("content").asText()).as(task.toString()).isEqualTo("Done.");
    assertThat(result.get("usage").get("inputTokens").asLong()).isEqualTo(400);
    assertThat(result.get("usage").get("outputTokens").asLong()).isEqualTo(27);
    assertThat(fake.requests("/v1/chat/completions")).hasSize(2);
    long rowTokens = 0;
    for (JsonNode row : usageRows(id, 2)) {
      rowTokens += row.get("inputTokens").asLong() + row.get("outputTokens").asLong();
    }
    assertThat(rowTokens).as("the usage rows add up to the result").isEqualTo(427);
    JsonNode step = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps").get(0);
    assertThat(step.get("attempts").asInt()).isEqualTo(2);
    assertThat(step.at("/model/earlierAttempts/attempts").asInt()).isEqualTo(1);
    assertThat(step.at("/model/earlierAttempts/inputTokens").asLong()).isEqualTo(300);
    assertThat(step.at("/model/usage/inputTokens").asLong()).as("the answer's own").isEqualTo(100);
  }

  @Test
  void aCostLimitStopsBeforeACallThatCouldPassIt() {
    fake.script(Reply.toolCall("c", "t_echo", "{\"more\":true}").withUsage(100, 50));
    String id =
        gh.submit(agent("{\"model\":\"ag-model\",\"goal\":\"Keep going\",\"tools\":[\"t.echo\"],"
            + "\"limits\":{\"maxCost\":1.0,\"maxOutputTokens\":100}}"));
    JsonNode result = gh.await(id).get("result");

    assertThat(result.get("stopReason").asText()).isEqualTo("budget");
    BigDecimal spent = new BigDecimal(result.get("usage").get("cost").asText());
    assertThat(spent).isLessThanOrEqualTo(BigDecimal.ONE).isPositive();
    assertThat(spent).isEqualByComparingTo(new BigDecimal("0.2").multiply(BigDecimal.valueOf(result.get("steps").asInt())));
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("unknown model", agent("{\"model\":\"ag-nope\",\"goal\":\"x\"}"), 404, "model_not_found", "ag-nope"),
        Arguments.of("no input", "{\"workflow\":\"agent\"}", 400, "invalid_request", "needs an 'input' object"),
        Arguments.of("both goal and messages",
            agent("{\"model\":\"ag-model\",\"goal\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"y\"}]}"), 400,
            "invalid_request", "either 'messages' or 'goal'"),
        Arguments.of("a message with an unknown role",
            agent("{\"model\":\"ag-model\",\"messages\":[{\"role\":\"wizard\",\"content\":\"y\"}]}"), 400,
            "invalid_request", "messages[0].role"),
        Arguments.of("a pattern that selects nothing",
            agent("{\"model\":\"ag-model\",\"goal\":\"x\",\"tools\":[\"t.weather\",\"nothing.*\"]}"), 400,
            "invalid_request", "pattern 'nothing.*' selects no tool"),
        Arguments.of("an unknown member", agent("{\"model\":\"ag-model\",\"goal\":\"x\",\"tool\":[\"t.echo\"]}"), 400,
            "invalid_request", "'input.tool' is not a known field"),
        Arguments.of("a goal that is not text", agent("{\"model\":\"ag-model\",\"goal\":5}"), 400, "invalid_request",
            "'input.goal' must be a string, not an integer"),
        Arguments.of("maxSteps as text", agent("{\"model\":\"ag-model\",\"goal\":\"x\",\"limits\":{\"maxSteps\":\"5\"}}"), 400,
            "invalid_request", "'input.limits.maxSteps'"),
        Arguments.of("maxSteps 0", agent("{\"model\":\"ag-model\",\"goal\":\"x\",\"limits\":{\"maxSteps\":0}}"), 400,
            "invalid_request", "maxSteps"),
        Arguments.of("maxCost on a model without prices",
            agent("{\"model\":\"ag-unpriced\",\"goal\":\"x\",\"limits\":{\"maxCost\":1}}"), 400, "invalid_request", "no input and output prices"),
        Arguments.of("a negative maxCost", agent("{\"model\":\"ag-model\",\"goal\":\"x\",\"limits\":{\"maxCost\":-1}}"), 400,
            "invalid_request", "maxCost"),
        Arguments.of("maxOutputTokens over the model's",
            agent("{\"model\":\"ag-model\",\"goal\":\"x\",\"limits\":{\"maxOutputTokens\":5000}}"), 400, "invalid_request", "maxOutputTokens"),
        Arguments.of("a deadline past the timeout",
            "{\"workflow\":\"agent\",\"timeout\":\"1m\",\"input\":{\"model\":\"ag-model\",\"goal\":\"x\",\"limits\":{\"deadline\":\"2m\"}}}", 400,
            "invalid_request", "deadline"),
        Arguments.of("a pipeline", "{\"workflow\":\"agent\",\"input\":{\"model\":\"ag-model\",\"goal\":\"x\"},\"pipeline\":{\"steps\":[]}}", 400,
            "invalid_request", "takes no 'pipeline'"),
        Arguments.of("a reference to a stored result",
            agent("{\"model\":\"ag-model\",\"messages\":[{\"role\":\"user\",\"content\":\"y\"},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"z\",\"gatehouse_result\":\"res_aaaaaaaaaaaaaaaaaaaa\"}]}"),
            400, "invalid_request", "input.messages[1] may not hold 'gatehouse_result'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void badSubmissionsAreRefusedAndStartNothing(String what, String body, int status, String code, String message) {
    int before = taskCount();
    HttpResponse<String> r = gh.post("/v1/tasks", KEY_A, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode error = json(r).get("error");
    assertThat(error.get("code").asText()).isEqualTo(code);
    assertThat(error.get("message").asText()).contains(message).doesNotContain("Exception").doesNotContain("dev.gatehouse");
    assertThat(taskCount()).as("tasks after " + what).isEqualTo(before);
    assertThat(fake.requests()).isEmpty();
  }

  private static int toolRequests(String prefix) {
    return (int) gh.tools.requests.stream().filter(r -> r.split(" ", 2)[1].startsWith(prefix)).count();
  }

  private static JsonNode usageRows(String id, int expected) throws InterruptedException {
    JsonNode calls = null;
    for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; ) {
      calls = json(gh.get("/admin/v1/usage/calls?task=" + id + "&limit=200", ADMIN_KEY)).get("items");
      if (calls != null && calls.size() >= expected) {
        break;
      }
      Thread.sleep(100);
    }
    return calls;
  }

  private static int taskCount() {
    return json(gh.get("/v1/tasks?limit=200", KEY_A)).get("tasks").size();
  }
}
