package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
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
            "invalid_request", "tool"),
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
            "invalid_request", "takes no 'pipeline'"));
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
