package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pipelines with model steps on a real Gatehouse: what is refused at submit (an unknown or foreign
 * model, one the agent may not use, malformed steps), and what a started model step leaves in the
 * task and its trace: answered by dev mode's echo model (a fake provider on loopback), or failing
 * because its provider listens nowhere (port 9 on loopback).
 */
class PipelineModelStepsTest {
  static TestGatehouse gh;
  /** An agent that may use every tool but not the model {@code pm-small}. */
  static String restrictedKey;

  @BeforeAll
  static void start() throws Exception {
    // The demo endpoints include dev mode's echo model, a fake OpenAI-compatible provider served
    // by Gatehouse itself on loopback.
    gh = TestGatehouse.start(c -> c.setDemoTools(true));
    created(gh.post("/admin/v1/providers", ADMIN_KEY,
        "{\"name\":\"pm-demo\",\"type\":\"openai\",\"baseUrl\":\"" + gh.api() + "/demo/llm/v1\",\"timeout\":\"5s\"}"));
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"pm-echo\",\"targets\":[{\"provider\":\"pm-demo\",\"model\":\"echo\"}],"
            + "\"prices\":{\"input\":2,\"cachedInput\":1,\"output\":4}}"));
    created(gh.post("/admin/v1/providers", ADMIN_KEY,
        "{\"name\":\"pm-nowhere\",\"type\":\"openai\",\"baseUrl\":\"http://127.0.0.1:9/v1\",\"timeout\":\"2s\"}"));
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"pm-small\",\"targets\":[{\"provider\":\"pm-nowhere\",\"model\":\"small-1\"}],"
            + "\"retry\":{\"maxAttempts\":2,\"initialInterval\":\"50ms\",\"backoff\":1.0},\"maxOutput\":100}"));
    String other = json(created(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"pm-other\"}"))).get("id").asText();
    created(gh.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"pm-theirs\",\"tenant\":\"" + other + "\",\"targets\":[{\"provider\":\"pm-nowhere\",\"model\":\"x\"}]}"));
    String agent =
        json(created(gh.post("/admin/v1/agents", ADMIN_KEY,
                "{\"tenant\":\"" + other + "\",\"name\":\"no-small\",\"tools\":{\"allow\":[\"*\"]},"
                    + "\"models\":{\"allow\":[\"*\"],\"deny\":[\"pm-small\"]},\"workflows\":{\"allow\":[\"pipeline\"]}}")))
            .get("id").asText();
    restrictedKey = json(created(gh.post("/admin/v1/agents/" + agent + "/keys", ADMIN_KEY, ""))).get("key").asText();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  private static HttpResponse<String> created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return r;
  }

  private static String pipeline(String steps) {
    return "{\"workflow\":\"pipeline\",\"input\":{\"q\":\"hello\"},\"pipeline\":{\"steps\":" + steps + "}}";
  }

  private static String modelStep(String model, String extra) {
    return "{\"id\":\"ask\",\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"${input.q}\"}]" + extra + "}";
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("unknown model", pipeline("[" + modelStep("pm-nope", "") + "]"), 404, "model_not_found",
            "step 'ask' names unknown model 'pm-nope'"),
        Arguments.of("another tenant's model", pipeline("[" + modelStep("pm-theirs", "") + "]"), 404, "model_not_found",
            "step 'ask' names unknown model 'pm-theirs'"),
        Arguments.of("maxTokens over the model's output", pipeline("[" + modelStep("pm-small", ",\"maxTokens\":500") + "]"), 400,
            "invalid_request", "maxTokens 500 is over the 100 output tokens model 'pm-small' allows"),
        Arguments.of("a tool and a model", pipeline("[{\"id\":\"ask\",\"tool\":\"t.echo\",\"model\":\"pm-small\",\"messages\":[]}]"), 400,
            "invalid_request", "names both a tool and a model"),
        Arguments.of("messages not an array", pipeline("[{\"id\":\"ask\",\"model\":\"pm-small\",\"messages\":{\"role\":\"user\"}}]"), 400,
            "invalid_request", "messages must be a non-empty array"),
        Arguments.of("a message that is not an object", pipeline("[{\"id\":\"ask\",\"model\":\"pm-small\",\"messages\":[\"hi\"]}]"), 400,
            "invalid_request", "messages[0] must be an object"),
        Arguments.of("maxTokens not a number", pipeline("[" + modelStep("pm-small", ",\"maxTokens\":\"many\"") + "]"), 400,
            "invalid_request", "maxTokens"),
        Arguments.of("a malformed template in messages",
            pipeline("[{\"id\":\"ask\",\"model\":\"pm-small\",\"messages\":[{\"role\":\"user\",\"content\":\"${input.}\"}]}]"), 400,
            "invalid_template", "bad template"),
        Arguments.of("args on a model step", pipeline("[" + modelStep("pm-small", ",\"args\":{}") + "]"), 400,
            "invalid_request", "takes messages, not args"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void badModelStepsAreRefusedAtSubmitAndStartNothing(String what, String body, int status, String code, String message) {
    int before = taskCount();
    HttpResponse<String> r = gh.post("/v1/tasks", KEY_A, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode error = json(r).get("error");
    assertThat(error.get("code").asText()).isEqualTo(code);
    assertThat(error.get("message").asText()).contains(message).doesNotContain("Exception").doesNotContain("dev.gatehouse");
    assertThat(taskCount()).as("tasks after " + what).isEqualTo(before);
  }

  @Test
  void aModelTheAgentMayNotUseIsRefusedWith403() {
    HttpResponse<String> r = gh.post("/v1/tasks", restrictedKey, pipeline("[" + modelStep("pm-small", "") + "]"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(json(r).get("error").get("code").asText()).isEqualTo("model_not_allowed");
    assertThat(json(r).get("error").get("message").asText()).contains("pm-small");
  }

  @Test
  void aStartedModelStepThatCannotReachItsProviderFailsTheTaskAndItsTraceSaysSo() {
    String id =
        gh.submit(
            pipeline(
                "[" + modelStep("pm-small", ",\"maxTokens\":20")
                    + ",{\"id\":\"save\",\"tool\":\"t.echo\",\"args\":{\"t\":\"${steps.ask.output.content}\"},\"dependsOn\":[\"ask\"]}]"));
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("FAILED");
    assertThat(task.get("error").get("code").asText()).isEqualTo("step_failed");
    assertThat(task.get("error").get("step").asText()).isEqualTo("ask");
    assertThat(task.get("error").get("message").asText()).contains("(model pm-small)");

    JsonNode steps = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps");
    assertThat(steps.size()).as("no step after the failed one").isEqualTo(1);
    JsonNode ask = steps.get(0);
    assertThat(ask.get("kind").asText()).isEqualTo("model");
    assertThat(ask.get("name").asText()).isEqualTo("pm-small");
    assertThat(ask.get("status").asText()).isEqualTo("FAILED");
    assertThat(ask.get("input").toString())
        .isEqualTo("{\"model\":\"pm-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":20}");
    // Nothing listens there: every attempt fails to connect, and the step fails with the gateway's code.
    assertThat(ask.get("error").get("code").asText()).isEqualTo("upstream_unavailable");
    assertThat(task.get("error").get("cause").asText()).isEqualTo("upstream_unavailable");
    assertThat(ask.has("model")).as("no answer, so no provider or usage").isFalse();
  }

  @Test
  void aModelStepsAnswerFeedsTheNextStepAndItsTraceSaysWhoAnsweredAndWhatItCost() {
    String id =
        gh.submit(
            pipeline(
                "[" + modelStep("pm-echo", ",\"maxTokens\":50")
                    + ",{\"id\":\"save\",\"tool\":\"t.echo\",\"args\":{\"t\":\"${steps.ask.output.content}\"},\"dependsOn\":[\"ask\"]}]"));
    JsonNode task = gh.await(id);
    assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("COMPLETED");
    JsonNode ask = task.get("result").get("ask");
    assertThat(ask.get("content").asText()).isEqualTo("You said: hello");
    assertThat(ask.get("finishReason").asText()).isEqualTo("stop");
    assertThat(ask.get("provider").asText()).isEqualTo("pm-demo");
    assertThat(ask.get("providerModel").asText()).isEqualTo("echo");
    long input = ask.get("usage").get("inputTokens").asLong();
    long output = ask.get("usage").get("outputTokens").asLong();
    assertThat(input).isPositive();
    assertThat(output).isEqualTo(3);
    // 2 and 4 per million tokens, exactly.
    assertThat(new java.math.BigDecimal(ask.get("cost").asText()))
        .isEqualByComparingTo(java.math.BigDecimal.valueOf(input * 2 + output * 4).movePointLeft(6));
    assertThat(task.get("result").get("save").get("got").get("t").asText()).isEqualTo("You said: hello");

    JsonNode steps = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps");
    JsonNode traced = steps.get(0);
    assertThat(traced.get("kind").asText()).isEqualTo("model");
    assertThat(traced.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(traced.get("output").get("content").asText()).isEqualTo("You said: hello");
    assertThat(traced.get("model").get("provider").asText()).isEqualTo("pm-demo");
    assertThat(traced.get("model").get("providerModel").asText()).isEqualTo("echo");
    assertThat(traced.get("model").get("usage").get("outputTokens").asLong()).isEqualTo(output);
    assertThat(traced.get("model").get("cost").asText()).isEqualTo(ask.get("cost").asText());
    assertThat(steps.get(1).get("kind").asText()).isEqualTo("tool");

    // The call's usage row names the task and the step (rows are written in batches: wait for it).
    JsonNode calls = null;
    for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; ) {
      calls = json(gh.get("/admin/v1/usage/calls?task=" + id, ADMIN_KEY)).get("items");
      if (calls != null && calls.size() > 0) {
        break;
      }
      sleep(100);
    }
    assertThat(calls).as("usage rows of task " + id).hasSize(1);
    JsonNode row = calls.get(0);
    assertThat(row.get("taskId").asText()).isEqualTo(id);
    assertThat(row.get("stepId").asText()).isEqualTo("ask");
    assertThat(row.get("model").asText()).isEqualTo("pm-echo");
    assertThat(row.get("provider").asText()).isEqualTo("pm-demo");
    assertThat(row.get("outcome").asText()).isEqualTo("ok");
    assertThat(row.get("outputTokens").asLong()).isEqualTo(output);
    assertThat(row.get("stream").asBoolean()).isFalse();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int taskCount() {
    return json(gh.get("/v1/tasks?limit=200", KEY_A)).get("tasks").size();
  }
}
