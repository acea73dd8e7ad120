package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.models.FaceClient.openAiError;
import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Responses API ({@code POST /v1/responses}, what OpenAI's Agents SDK and Codex call)
 * through Gatehouse, with the official OpenAI SDK: served as a chat call, so governed as one (the
 * agent's models, request policies, usage), to a model an OpenAI-type provider serves and to one an
 * Anthropic-type provider serves (a {@link FakeProvider} of each, fakes for the LLMs); streamed and
 * not; a function call and its output sent back; and what it cannot serve refused before anything
 * is sent.
 */
class ResponsesApiTest {
  private static final String SECRET = "sk-responses-provider-SECRET-0123456789";

  private static TestGatehouse gh;
  private static FakeProvider fake;

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeProvider();
    gh = TestGatehouse.start(c -> c.getCaches().setPolicies(io.dropwizard.util.Duration.seconds(0)));
    ok(gh.put("/admin/v1/secrets/responses-key", ADMIN_KEY, "{\"value\":\"" + SECRET + "\"}"));
    for (String type : List.of("openai", "anthropic")) {
      ok(gh.post("/admin/v1/providers", ADMIN_KEY, "{\"name\":\"responses-" + type + "\",\"type\":\"" + type + "\",\"baseUrl\":\""
          + (type.equals("openai") ? fake.openaiBase() : fake.anthropicBase()) + "\",\"apiKey\":\"{{secret:responses-key}}\",\"timeout\":\"10s\"}"));
    }
    ok(gh.post("/admin/v1/models", ADMIN_KEY, "{\"name\":\"gpt-r\",\"targets\":[{\"provider\":\"responses-openai\",\"model\":\"gpt-upstream\"}]}"));
    ok(gh.post("/admin/v1/models", ADMIN_KEY, "{\"name\":\"claude-r\",\"targets\":[{\"provider\":\"responses-anthropic\",\"model\":\"claude-upstream\"}]}"));
    ok(gh.post("/admin/v1/models", ADMIN_KEY, "{\"name\":\"forbidden-r\",\"targets\":[{\"provider\":\"responses-openai\",\"model\":\"gpt-upstream\"}]}"));
    gh.letAgentAUseModelsBut("forbidden-*");
  }

  @AfterAll
  static void stop() {
    if (gh != null) {
      gh.close();
    }
    if (fake != null) {
      fake.close();
    }
  }

  @AfterEach
  void reset() {
    fake.reset();
    gh.deletePolicies();
  }

  @Test
  void theSdksResponseComesFromAChatCallToAnOpenAiProvider() throws Exception {
    fake.script(Reply.text("hello from the fake").withUsage(7, 4));
    long before = usageRows();

    JsonNode r = ModelSdks.openai(gh.api() + "/v1", KEY_A, "gpt-r", "responses");

    assertThat(r.path("object").asText()).isEqualTo("response");
    assertThat(r.path("id").asText()).startsWith("resp_");
    assertThat(r.path("status").asText()).isEqualTo("completed");
    assertThat(r.path("text").asText()).isEqualTo("hello from the fake");
    assertThat(r.path("items").toString()).isEqualTo("[\"message\"]");
    assertThat(r.path("usage").path("input_tokens").asLong()).isEqualTo(7);
    assertThat(r.path("usage").path("output_tokens").asLong()).isEqualTo(4);
    assertThat(r.path("usage").path("total_tokens").asLong()).isEqualTo(11);
    // The provider was sent a chat request, with Gatehouse's key, and nothing of the Responses API.
    FakeProvider.Request sent = fake.last();
    assertThat(sent.path()).isEqualTo("/v1/chat/completions");
    assertThat(sent.header("authorization")).isEqualTo("Bearer " + SECRET);
    JsonNode chat = sent.json();
    assertThat(chat.path("model").asText()).isEqualTo("gpt-upstream");
    assertThat(chat.path("messages").toString())
        .isEqualTo("[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"Say hello to the interop test.\"}]");
    assertThat(chat.path("max_completion_tokens").asLong()).isEqualTo(64);
    assertThat(chat.has("input") || chat.has("instructions") || chat.has("store") || chat.has("max_output_tokens")).isFalse();
    assertThat(usageRows()).isEqualTo(before + 1);
  }

  @Test
  void aModelAnAnthropicProviderServesAnswersTheResponsesApiToo() {
    fake.script(Reply.text("hello from claude").withUsage(9, 3));

    JsonNode r = ModelSdks.openai(gh.api() + "/v1", KEY_A, "claude-r", "responses");

    assertThat(r.path("text").asText()).isEqualTo("hello from claude");
    assertThat(r.path("usage").path("input_tokens").asLong()).isEqualTo(9);
    FakeProvider.Request sent = fake.last();
    assertThat(sent.path()).isEqualTo("/v1/messages");
    assertThat(sent.json().path("system").toString()).contains("You are terse.");
    assertThat(sent.json().path("max_tokens").asLong()).isEqualTo(64);
  }

  @Test
  void aStreamIsTheResponsesApisEventsInOrderWithItsUsage() {
    for (String model : List.of("gpt-r", "claude-r")) {
      fake.reset();
      fake.script(Reply.text("one two three four").withUsage(6, 4).withFragments(4));

      JsonNode r = ModelSdks.openai(gh.api() + "/v1", KEY_A, model, "responses-stream");

      assertThat(r.path("status").asText()).as(model).isEqualTo("completed");
      assertThat(r.path("text").asText()).as(model).isEqualTo("one two three four");
      assertThat(r.path("deltas").asText()).as(model).isEqualTo("one two three four");
      assertThat(r.path("ordered").asBoolean()).as(model).isTrue();
      List<String> types = new ArrayList<>();
      r.path("types").forEach(t -> types.add(t.asText()));
      assertThat(types.get(0)).isEqualTo("response.created");
      assertThat(types.get(1)).isEqualTo("response.in_progress");
      assertThat(types.get(types.size() - 1)).isEqualTo("response.completed");
      assertThat(types).containsSubsequence(
          "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
          "response.content_part.done", "response.output_item.done");
      assertThat(types.stream().filter(t -> t.equals("response.output_text.delta")).count()).as(model).isGreaterThanOrEqualTo(2);
      assertThat(r.path("usage").path("output_tokens").asLong()).as(model).isEqualTo(4);
      assertThat(fake.last().stream()).isTrue();
    }
  }

  /** An OpenAI-compatible server that reports no usage: the response carries what Gatehouse meters, as the answer unstreamed does. */
  @Test
  void aStreamWhoseProviderReportsNoUsageEndsWithTheEstimateGatehouseMeters() {
    fake.reset();
    fake.script(Reply.text("one two three four").withoutUsage().withFragments(4));

    JsonNode r = ModelSdks.openai(gh.api() + "/v1", KEY_A, "gpt-r", "responses-stream");

    assertThat(r.path("status").asText()).isEqualTo("completed");
    assertThat(r.path("text").asText()).isEqualTo("one two three four");
    assertThat(r.path("usage").isObject()).as(r.toString()).isTrue();
    assertThat(r.path("usage").path("output_tokens").asLong()).isGreaterThan(0);
    assertThat(r.path("usage").path("input_tokens").asLong()).isGreaterThan(0);
    assertThat(fake.last().json().path("stream_options").path("include_usage").asBoolean()).isTrue();
  }

  @Test
  void aFunctionCallAndItsOutputMakeTheNextTurnsToolMessages() {
    for (String model : List.of("gpt-r", "claude-r")) {
      fake.reset();
      fake.enqueue(Reply.toolCall("call_w1", "get_weather", "{\"city\":\"Paris\"}"));
      fake.script(Reply.text("It is 12 degrees in Paris."));

      JsonNode r = ModelSdks.openai(gh.api() + "/v1", KEY_A, model, "responses-tools");

      assertThat(r.path("calls").size()).as(model).isEqualTo(1);
      JsonNode call = r.path("calls").get(0);
      assertThat(call.path("name").asText()).isEqualTo("get_weather");
      assertThat(call.path("arguments").path("city").asText()).isEqualTo("Paris");
      assertThat(r.path("second").asText()).isEqualTo("It is 12 degrees in Paris.");
      // The second turn reached the provider as its API has a call and its result.
      JsonNode second = fake.last().json();
      if (model.equals("gpt-r")) {
        JsonNode messages = second.path("messages");
        assertThat(messages.get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(messages.get(1).path("tool_calls").get(0).path("id").asText()).isEqualTo(call.path("call_id").asText());
        assertThat(messages.get(1).path("tool_calls").get(0).path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(messages.get(2).path("role").asText()).isEqualTo("tool");
        assertThat(messages.get(2).path("tool_call_id").asText()).isEqualTo(call.path("call_id").asText());
        assertThat(messages.get(2).path("content").asText()).contains("celsius");
        assertThat(second.path("tools").get(0).path("function").path("name").asText()).isEqualTo("get_weather");
      } else {
        JsonNode messages = second.path("messages");
        assertThat(messages.get(1).path("content").get(0).path("type").asText()).isEqualTo("tool_use");
        assertThat(messages.get(2).path("content").get(0).path("type").asText()).isEqualTo("tool_result");
        assertThat(second.path("tools").get(0).path("name").asText()).isEqualTo("get_weather");
      }
    }
  }

  @Test
  void aStreamedFunctionCallIsAssembledByTheSdk() {
    for (String model : List.of("gpt-r", "claude-r")) {
      fake.reset();
      fake.script(Reply.toolCall("call_s1", "get_weather", "{\"city\":\"Lyon\"}").withFragments(3));

      JsonNode r = ModelSdks.openai(gh.api() + "/v1", KEY_A, model, "responses-stream-tools");

      assertThat(r.path("status").asText()).as(model).isEqualTo("completed");
      assertThat(r.path("calls").size()).as(model).isEqualTo(1);
      assertThat(r.path("calls").get(0).path("arguments").path("city").asText()).as(model).isEqualTo("Lyon");
      assertThat(r.path("calls").get(0).path("status").asText()).isEqualTo("completed");
      assertThat(r.path("types").toString()).contains("response.function_call_arguments.delta", "response.function_call_arguments.done");
    }
  }

  @Test
  void whatNeedsAStoredResponseIsRefusedInTheSdksShapeAndNothingIsSent() {
    JsonNode e = ModelSdks.openai(gh.api() + "/v1", KEY_A, "gpt-r", "responses-error");

    assertThat(e.path("errorClass").asText()).isEqualTo("BadRequestError");
    assertThat(e.path("status").asInt()).isEqualTo(400);
    assertThat(e.path("code").asText()).isEqualTo("invalid_request");
    assertThat(e.path("param").asText()).isEqualTo("previous_response_id");
    assertThat(fake.requests()).isEmpty();
  }

  @Test
  void whatCannotBeTranslatedIsA400NamingTheMember() {
    refused("{\"model\":\"gpt-r\",\"input\":\"hi\",\"tools\":[{\"type\":\"web_search\"}],\"tool_choice\":{\"type\":\"web_search\"}}", "tool_choice.type");
    refused("{\"model\":\"gpt-r\",\"input\":\"hi\",\"temperature\":\"hot\"}", "temperature");
    refused("{\"model\":\"gpt-r\",\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}", "input[0].type");
    refused("{\"model\":\"gpt-r\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"file_id\":\"file-1\"}]}]}",
        "input[0].content[0].file_id");
    refused("{\"model\":\"gpt-r\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":7}]}]}", "input[0].content[0].text");
    refused("{\"model\":\"gpt-r\",\"input\":[\"hi\"]}", "input[0]");
    refused("{\"model\":\"gpt-r\",\"input\":\"hi\",\"background\":true}", "background");
    refused("{\"model\":\"gpt-r\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"orphan\"}]}", "input[0].call_id");
    refused("{\"model\":\"gpt-r\"}", "input");
    assertThat(fake.requests()).isEmpty();
    // A model the agent may not use is refused, as on the chat endpoint.
    openAiError(gh.post("/v1/responses", KEY_A, "{\"model\":\"forbidden-r\",\"input\":\"hi\"}"), 403, "model_not_allowed");
    // A stored response is not served either.
    openAiError(gh.get("/v1/responses/resp_123", KEY_A), 404, "not_found");
  }

  /** What an Anthropic model cannot be sent is refused naming the member the caller sent, not the chat request's. */
  @Test
  void whatAnAnthropicModelCannotTakeIsRefusedNamingTheCallersMember() {
    refused("{\"model\":\"claude-r\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"json_object\"}}}", "text.format");
    refused("{\"model\":\"claude-r\",\"instructions\":\"be brief\",\"input\":[{\"role\":\"user\",\"content\":\"hi\"},"
        + "{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\",\"arguments\":\"[1,2]\"},"
        + "{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":\"x\"}]}", "input[1].arguments");
    assertThat(fake.requests()).isEmpty();
  }

  /**
   * Codex 0.171.0's first request as it sent it (its texts shortened): every one was refused for its
   * {@code client_metadata}, then its {@code namespace} tool of sub-agent functions, then its
   * default web search. It is served: the namespace's functions are tools, web search is left out
   * and named, and nothing Codex sends is unknown.
   */
  @Test
  void codexsRequestIsServedWithWebSearchLeftOutAndNamed() throws Exception {
    fake.script(Reply.text("I will list them.").withUsage(20, 5));
    com.fasterxml.jackson.databind.node.ObjectNode codex;
    try (var in = ResponsesApiTest.class.getResourceAsStream("/responses/codex-0.171.0-first-turn.json")) {
      codex = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
    }
    codex.put("model", "gpt-r");

    HttpResponse<String> r = gh.post("/v1/responses", KEY_A, codex.toString());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    assertThat(r.headers().firstValue("Gatehouse-Dropped-Tools")).hasValue("web_search");
    assertThat(r.headers().firstValue("Gatehouse-Ignored-Members")).isEmpty();
    assertThat(r.body()).contains("event: response.completed").contains("I will list them.");
    JsonNode sent = fake.last().json();
    List<String> tools = new ArrayList<>();
    sent.path("tools").forEach(t -> tools.add(t.path("function").path("name").asText()));
    assertThat(tools).contains("exec_command", "view_image", "spawn_agent", "close_agent").doesNotContain("web_search");
    assertThat(sent.path("messages").get(0).path("role").asText()).isEqualTo("system"); // Codex's developer message
    assertThat(sent.has("client_metadata")).isFalse();
  }

  @Test
  void unknownMembersAreLeftOutAndNamed() {
    fake.script(Reply.text("fine"));

    HttpResponse<String> r = gh.post("/v1/responses", KEY_A, "{\"model\":\"gpt-r\",\"input\":\"hi\",\"frobnicate\":true,\"moderation\":{}}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Gatehouse-Ignored-Members")).hasValue("frobnicate,moderation");
    assertThat(fake.last().json().has("frobnicate")).isFalse();
  }

  @Test
  void aRequestPolicyReadsTheInputAsItReadsAChatRequest() {
    ok(gh.post("/admin/v1/policies", ADMIN_KEY, "{\"name\":\"responses-pii\",\"kind\":\"pii\",\"appliesTo\":{\"models\":[\"gpt-r\"]},"
        + "\"pii\":{\"action\":\"block\",\"detectors\":[\"email\"],\"on\":[\"model-requests\"]}}"));
    fake.script(Reply.text("unused"));

    HttpResponse<String> r = gh.post("/v1/responses", KEY_A, "{\"model\":\"gpt-r\",\"input\":[{\"type\":\"function_call\",\"call_id\":\"c1\","
        + "\"name\":\"f\",\"arguments\":\"{}\"},{\"type\":\"function_call_output\","
        + "\"call_id\":\"c1\",\"output\":[{\"type\":\"input_text\",\"text\":\"write to alice@example.com\"}]}]}");

    openAiError(r, 422, "pii_detected");
    assertThat(fake.requests()).isEmpty();
  }

  /** The calls in a client's input are text it wrote: a denied phrase there reached the provider past a guardrail entry. */
  @Test
  void aGuardrailReadsTheArgumentsOfTheCallsInTheInput() {
    ok(gh.post("/admin/v1/policies", ADMIN_KEY, "{\"name\":\"responses-guard\",\"kind\":\"guardrail\",\"appliesTo\":{\"models\":[\"gpt-r\"]},"
        + "\"guardrail\":{\"checks\":[\"deny-pattern\"],\"denyPatterns\":[\"(?i)project falcon\"]}}"));
    ok(gh.post("/admin/v1/policies", ADMIN_KEY, "{\"name\":\"responses-guard-mask\",\"kind\":\"guardrail\",\"appliesTo\":{\"models\":[\"claude-r\"]},"
        + "\"guardrail\":{\"checks\":[\"deny-pattern\"],\"denyPatterns\":[\"(?i)project falcon\"],\"actions\":{\"deny-pattern\":\"redact\"}}}"));
    fake.script(Reply.text("fine"));
    String input = ",\"input\":[{\"type\":\"function_call\",\"call_id\":\"c1\",\"name\":\"note\","
        + "\"arguments\":\"{\\\"topic\\\":\\\"the Project Falcon plan\\\"}\"},"
        + "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"noted\"}]}";

    JsonNode error = openAiError(gh.post("/v1/responses", KEY_A, "{\"model\":\"gpt-r\"" + input), 422, "guardrail_blocked");
    assertThat(error.path("message").asText()).contains("responses-guard@1").doesNotContain("Falcon");
    assertThat(fake.requests()).isEmpty();

    HttpResponse<String> r = gh.post("/v1/responses", KEY_A, "{\"model\":\"claude-r\"" + input);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode sent = fake.last().json();
    assertThat(sent.toString()).doesNotContain("Falcon");
    assertThat(sent.at("/messages/0/content/0/input/topic").asText()).as(sent.toString()).isEqualTo("the [REDACTED] plan");
  }

  /**
   * A model's tool call carried an address to a client that runs the tool itself, in either
   * API and either face, streamed and not; a streamed one's arguments are held until the call is
   * whole and the SDKs assemble JSON of what goes out.
   */
  @Test
  void aToolCallsArgumentsAreRedactedForEverySdkStreamedOrNot() {
    ok(gh.post("/admin/v1/policies", ADMIN_KEY, "{\"name\":\"responses-args\",\"kind\":\"pii\",\"appliesTo\":{\"models\":[\"gpt-r\",\"claude-r\"]},"
        + "\"pii\":{\"action\":\"redact\",\"detectors\":[\"email\"],\"on\":[\"model-answers\"]}}"));
    fake.script(Reply.toolCall("call_w1", "get_weather", "{\"city\":\"alice@example.com\"}")
        .withToolCall("call_w2", "get_weather", "{\"city\":\"Rome\"}").withFragments(5));

    for (String model : List.of("gpt-r", "claude-r")) {
      for (String mode : List.of("responses-tools", "responses-stream-tools")) {
        JsonNode r = ModelSdks.openai(gh.api() + "/v1", KEY_A, model, mode);
        assertThat(r.at("/calls/0/arguments/city").asText()).as(model + " " + mode).isEqualTo("[EMAIL]");
      }
      for (String mode : List.of("tools", "stream-tools")) {
        JsonNode chat = ModelSdks.openai(gh.api() + "/v1", KEY_A, model, mode);
        assertThat(chat.at("/toolCalls/0/arguments/city").asText()).as(model + " chat " + mode).isEqualTo("[EMAIL]");
        assertThat(chat.at("/toolCalls/1/arguments/city").asText()).as(model + " chat " + mode).isEqualTo("Rome");
        if (mode.equals("stream-tools")) {
          // The SDK's stream helper ends a call when the next index begins: each call's end, once, whole.
          assertThat(chat.path("argumentsDone")).as(model + " " + chat).hasSize(2);
          assertThat(chat.at("/argumentsDone/0/arguments").asText()).isEqualTo("{\"city\":\"[EMAIL]\"}");
          assertThat(chat.at("/argumentsDone/1/arguments").asText()).isEqualTo("{\"city\":\"Rome\"}");
        }
        JsonNode messages = ModelSdks.anthropic(gh.api(), KEY_A, model, mode);
        assertThat(messages.at("/toolUses/0/input/city").asText()).as(model + " messages " + mode).isEqualTo("[EMAIL]");
      }
    }
  }

  private static void refused(String body, String param) {
    JsonNode error = openAiError(gh.post("/v1/responses", KEY_A, body), 400, "invalid_request");
    assertThat(error.path("param").asText()).as(body).isEqualTo(param);
  }

  private static long usageRows() throws InterruptedException {
    gh.application().usage().flush();
    long rows = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM model_usage").mapTo(Long.class).one());
    return rows;
  }

  private static void ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.request().uri() + " " + r.body()).isBetween(200, 201);
  }

}
