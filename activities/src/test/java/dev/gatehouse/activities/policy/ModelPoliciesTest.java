package dev.gatehouse.activities.policy;

import static dev.gatehouse.activities.policy.ToolPoliciesTest.guard;
import static dev.gatehouse.activities.policy.ToolPoliciesTest.pii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelAnswer;
import dev.gatehouse.activities.model.ModelCall;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelCodes;
import dev.gatehouse.activities.model.ModelExchange;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.model.StreamStopped;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.workflows.tool.Caller;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model chain's PII and guardrail steps: requests before the call (both dialects, chat and
 * embeddings), whole answers after it, and streamed answers through the sink the answer step
 * installs, fed events as the router relays them. Entries are read from PostgreSQL; each test has
 * a tenant (and uniquely named entries) of its own.
 */
class ModelPoliciesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger TENANTS = new AtomicInteger();

  private static TestDatabase db;
  private static PolicyDao policies;
  private static ModelRequestPolicies requests;
  private static ModelAnswerPii answers;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    policies = db.jdbi().onDemand(PolicyDao.class);
    PolicyCatalog catalog = new PolicyCatalog(db.jdbi(), Duration.ZERO);
    requests = new ModelRequestPolicies(catalog);
    answers = new ModelAnswerPii(catalog);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static String tenant(PolicyDefinition... entries) {
    String id = "mten_" + TENANTS.incrementAndGet();
    db.jdbi().useExtension(TenantDao.class, t -> t.insert(id, id));
    for (PolicyDefinition p : entries) {
      if (!policies.insert(p.withTenant(id))) {
        throw new IllegalStateException("policy names are global: " + p.name() + " is taken");
      }
    }
    return id;
  }

  private static ObjectNode json(String s) {
    try {
      return (ObjectNode) JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static ModelExchange exchange(String tenant, Dialect dialect, ModelCall.Kind kind, String body, StreamSink sink) {
    ModelCall call =
        new ModelCall(kind, dialect, "gpt-x", json(body), sink != null, new Caller(tenant, "agt_1", List.of()), null, null, null, null, 1);
    return new ModelExchange(call, sink);
  }

  private static ModelExchange chat(String tenant, Dialect dialect, String body) {
    return exchange(tenant, dialect, ModelCall.Kind.CHAT, body, null);
  }

  // ---- requests

  /** A probe's refusal part and an assistant's reasoning sent back reached the provider unread. */
  @Test
  void refusalPartsAndReasoningSentBackAreReadInARequest() {
    String tenant = tenant(pii("req-refusal", "redact", List.of("model-requests"), null));
    String body =
        "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"I won't mail alice@example.com\"}],"
            + "\"reasoning_content\":\"the user is bob@example.com\"}]}";
    ModelExchange x = chat(tenant, Dialect.OPENAI, body);

    assertThat(requests.before(x).allowed()).isTrue();

    JsonNode sent = x.request().body();
    assertThat(sent.at("/messages/1/content/0/refusal").asText()).isEqualTo("I won't mail [EMAIL]");
    assertThat(sent.at("/messages/1/reasoning_content").asText()).isEqualTo("the user is [EMAIL]");
  }

  @Test
  void anOpenAiRequestsMessageTextsAreRedactedInACopyAndImagesAreNotRead() {
    String tenant = tenant(pii("req-mask", "redact", List.of("model-requests"), null));
    String body =
        "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"system\",\"content\":\"Support for alice@example.com\"},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"call +44 20 7946 0958\"},"
            + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,bob@example.com\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"found carol@example.org\"}]}";
    ModelExchange x = chat(tenant, Dialect.OPENAI, body);
    ObjectNode original = x.request().body();

    assertThat(requests.before(x).allowed()).isTrue();

    JsonNode sent = x.request().body();
    assertThat(sent.at("/messages/0/content").asText()).isEqualTo("Support for [EMAIL]");
    assertThat(sent.at("/messages/1/content/0/text").asText()).isEqualTo("call [PHONE]");
    assertThat(sent.at("/messages/1/content/1/image_url/url").asText()).endsWith("bob@example.com");
    assertThat(sent.at("/messages/2/content").asText()).isEqualTo("found [EMAIL]");
    assertThat(original).as("the caller's body is not changed").isEqualTo(json(body));
    assertThat(x.appliedPolicies()).containsExactly("req-mask@1 redacted EMAIL×2, PHONE×1 in model-requests");
  }

  @Test
  void anAnthropicRequestsSystemAndToolResultsAreRead() {
    String tenant = tenant(pii("req-mask-a", "redact", List.of("model-requests"), null));
    ModelExchange x =
        chat(tenant, Dialect.ANTHROPIC,
            "{\"model\":\"gpt-x\",\"max_tokens\":8,\"system\":[{\"type\":\"text\",\"text\":\"for alice@example.com\"}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\","
                + "\"content\":\"IBAN DE89 3704 0044 0532 0130 00\"}]}]}");

    assertThat(requests.before(x).allowed()).isTrue();

    assertThat(x.request().body().at("/system/0/text").asText()).isEqualTo("for [EMAIL]");
    assertThat(x.request().body().at("/messages/0/content/0/content").asText()).isEqualTo("IBAN [IBAN]");
  }

  /** A probe's stop sequence carried a card, an address and a denied phrase to the provider, past every entry. */
  @Test
  void stopSequencesAreRead() {
    String masking = tenant(pii("req-stop", "redact", List.of("model-requests"), null));
    ModelExchange one = chat(masking, Dialect.OPENAI, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        + "\"stop\":\"card 4111 1111 1111 1111\"}");
    assertThat(requests.before(one).allowed()).isTrue();
    assertThat(one.request().body().get("stop").asText()).isEqualTo("card [CARD]");

    ModelExchange many = chat(masking, Dialect.OPENAI, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        + "\"stop\":[\"END\",\"alice@example.com\"]}");
    assertThat(requests.before(many).allowed()).isTrue();
    assertThat(many.request().body().get("stop").toString()).isEqualTo("[\"END\",\"[EMAIL]\"]");

    String guarded = tenant(guard("req-stop-guard", Map.of(), List.of("(?i)project falcon")));
    Decision denied = requests.before(chat(guarded, Dialect.ANTHROPIC, "{\"model\":\"m\",\"max_tokens\":5,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop_sequences\":[\"Project Falcon\"]}"));
    assertThat(denied.code()).isEqualTo(DenialCodes.GUARDRAIL_BLOCKED);
  }

  @Test
  void anOpenAiRequestsRefusalInHistoryAndItsPredictionAreRead() {
    String tenant = tenant(pii("req-mask-p", "redact", List.of("model-requests"), null));
    ModelExchange x =
        chat(tenant, Dialect.OPENAI,
            "{\"model\":\"gpt-x\",\"user\":\"u1\",\"messages\":[{\"role\":\"user\",\"content\":\"fix the file\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"not for alice@example.com\"}],"
                + "\"prediction\":{\"type\":\"content\",\"content\":[{\"type\":\"text\",\"text\":\"owner: bob@example.com\"}]}}");

    assertThat(requests.before(x).allowed()).isTrue();

    JsonNode sent = x.request().body();
    assertThat(sent.at("/messages/1/refusal").asText()).isEqualTo("not for [EMAIL]");
    assertThat(sent.at("/prediction/content/0/text").asText()).isEqualTo("owner: [EMAIL]");
    assertThat(x.appliedPolicies()).containsExactly("req-mask-p@1 redacted EMAIL×2 in model-requests");

    ModelExchange plain =
        chat(tenant, Dialect.OPENAI,
            "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"prediction\":{\"type\":\"content\",\"content\":\"carol@example.org\"}}");
    assertThat(requests.before(plain).allowed()).isTrue();
    assertThat(plain.request().body().at("/prediction/content").asText()).isEqualTo("[EMAIL]");
  }

  @Test
  void anAnthropicRequestsTextDocumentsAndSearchResultsAreReadAlsoInsideToolResults() {
    String tenant = tenant(pii("req-mask-d", "redact", List.of("model-requests"), null));
    ModelExchange x =
        chat(tenant, Dialect.ANTHROPIC,
            "{\"model\":\"gpt-x\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"document\",\"title\":\"notes\",\"context\":\"from alice@example.com\","
                + "\"source\":{\"type\":\"text\",\"media_type\":\"text/plain\",\"data\":\"call +44 20 7946 0958\"}},"
                + "{\"type\":\"document\",\"source\":{\"type\":\"content\",\"content\":[{\"type\":\"text\",\"text\":\"bob@example.com\"}]}},"
                + "{\"type\":\"document\",\"source\":{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":\"carol@example.org\"}},"
                + "{\"type\":\"search_result\",\"source\":\"https://x.example\",\"title\":\"t\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"dave@example.net\"}]},"
                + "{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":["
                + "{\"type\":\"search_result\",\"source\":\"s\",\"title\":\"t\",\"content\":[{\"type\":\"text\",\"text\":\"erin@example.com\"}]},"
                + "{\"type\":\"document\",\"source\":{\"type\":\"text\",\"media_type\":\"text/plain\",\"data\":\"frank@example.com\"}}]}]}]}");

    assertThat(requests.before(x).allowed()).isTrue();

    JsonNode parts = x.request().body().at("/messages/0/content");
    assertThat(parts.at("/0/context").asText()).isEqualTo("from [EMAIL]");
    assertThat(parts.at("/0/source/data").asText()).isEqualTo("call [PHONE]");
    assertThat(parts.at("/1/source/content/0/text").asText()).isEqualTo("[EMAIL]");
    assertThat(parts.at("/2/source/data").asText()).as("a base64 document is not read").isEqualTo("carol@example.org");
    assertThat(parts.at("/3/content/0/text").asText()).isEqualTo("[EMAIL]");
    assertThat(parts.at("/4/content/0/content/0/text").asText()).isEqualTo("[EMAIL]");
    assertThat(parts.at("/4/content/1/source/data").asText()).isEqualTo("[EMAIL]");
    assertThat(x.appliedPolicies()).containsExactly("req-mask-d@1 redacted EMAIL×5, PHONE×1 in model-requests");
  }

  /**
   * A document's title, a search result's title and source, and an MCP connector's tool result are
   * read too: a probe sent an address in each past an entry that blocks, and the model reads them.
   */
  @Test
  void titlesSourcesAndAnMcpConnectorsResultsAreReadToo() {
    String tenant = tenant(pii("req-mask-t", "redact", List.of("model-requests"), null));
    ModelExchange x =
        chat(tenant, Dialect.ANTHROPIC,
            "{\"model\":\"gpt-x\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"document\",\"title\":\"for alice@example.com\",\"source\":{\"type\":\"text\",\"media_type\":\"text/plain\",\"data\":\"x\"}},"
                + "{\"type\":\"search_result\",\"source\":\"bob@example.com\",\"title\":\"carol@example.org\",\"content\":[{\"type\":\"text\",\"text\":\"y\"}]}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"mcp_tool_result\",\"tool_use_id\":\"m1\",\"content\":[{\"type\":\"text\",\"text\":\"dave@example.net\"}]}]}]}");

    assertThat(requests.before(x).allowed()).isTrue();

    JsonNode messages = x.request().body().get("messages");
    assertThat(messages.at("/0/content/0/title").asText()).isEqualTo("for [EMAIL]");
    assertThat(messages.at("/0/content/1/source").asText()).isEqualTo("[EMAIL]");
    assertThat(messages.at("/0/content/1/title").asText()).isEqualTo("[EMAIL]");
    assertThat(messages.at("/1/content/0/content/0/text").asText()).isEqualTo("[EMAIL]");
    assertThat(x.appliedPolicies()).containsExactly("req-mask-t@1 redacted EMAIL×4 in model-requests");
  }

  @Test
  void aCardInARequestIsBlockedWithPiiDetected() {
    String tenant = tenant(pii("req-block", "block", List.of("model-requests"), null));
    ModelExchange x =
        chat(tenant, Dialect.OPENAI, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"pay with 4111 1111 1111 1111\"}]}");

    Decision d = requests.before(x);

    assertThat(d.allowed()).isFalse();
    assertThat(d.code()).isEqualTo(DenialCodes.PII_DETECTED);
    assertThat(d.policy()).isEqualTo("req-block@1");
    assertThat(d.reason()).contains("model request", "1 CARD").doesNotContain("4111");
  }

  /** A client could put anything in its history's tool calls: a probe's address reached the provider in one. */
  @Test
  void theArgumentsOfToolCallsInARequestsHistoryAreRead() throws Exception {
    String tenant = tenant(pii("req-args", "redact", List.of("model-requests"), null));
    String body =
        "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"mail\",\"arguments\":\"{\\\"alice@example.com\\\":{\\\"cc\\\":[\\\"bob@example.com\\\"]}}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sent\"}]}";
    ModelExchange x = chat(tenant, Dialect.OPENAI, body);

    assertThat(requests.before(x).allowed()).isTrue();

    JsonNode args = JSON.readTree(x.request().body().at("/messages/1/tool_calls/0/function/arguments").asText());
    assertThat(args.toString()).isEqualTo("{\"[EMAIL]\":{\"cc\":[\"[EMAIL]\"]}}");
    assertThat(json(body).at("/messages/1/tool_calls/0/function/arguments").asText()).as("the caller's body is not changed").contains("alice");
    assertThat(x.appliedPolicies()).containsExactly("req-args@1 redacted EMAIL×2 in model-requests");

    // A repeated member name must not hide a value behind the later one: both are read (the second as to#2).
    String repeated =
        "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"mail\",\"arguments\":\"{\\\"to\\\":\\\"carol@example.com\\\",\\\"to\\\":\\\"x\\\"}\"}}]}]}";
    ModelExchange twice = chat(tenant, Dialect.OPENAI, repeated);
    assertThat(requests.before(twice).allowed()).isTrue();
    assertThat(twice.request().body().at("/messages/0/tool_calls/0/function/arguments").asText()).doesNotContain("carol").contains("[EMAIL]");

    // Anthropic: a tool_use part's input, a JSON value.
    String tenantBlock = tenant(pii("req-args-block", "block", List.of("model-requests"), null));
    ModelExchange anthropic =
        chat(tenantBlock, Dialect.ANTHROPIC,
            "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\","
                + "\"name\":\"pay\",\"input\":{\"card\":\"4111 1111 1111 1111\"}}]}]}");
    Decision d = requests.before(anthropic);
    assertThat(d.allowed()).isFalse();
    assertThat(d.code()).isEqualTo(DenialCodes.PII_DETECTED);
    assertThat(d.reason()).contains("1 CARD").doesNotContain("4111");
  }

  @Test
  void embeddingsInputIsRead() {
    String tenant = tenant(pii("emb-mask", "redact", List.of("model-requests"), null));
    ModelExchange x =
        exchange(tenant, Dialect.OPENAI, ModelCall.Kind.EMBEDDINGS,
            "{\"model\":\"gpt-x\",\"input\":[\"alice@example.com\",\"plain\",[1,2]]}", null);

    assertThat(requests.before(x).allowed()).isTrue();

    assertThat(x.request().body().get("input")).isEqualTo(json("{\"i\":[\"[EMAIL]\",\"plain\",[1,2]]}").get("i"));
  }

  @Test
  void requestGuardrailsBlockADenyPatternAndAnOversizedPrompt() {
    String tenant = tenant(
        new PolicyDefinition("req-guard", null, PolicyDefinition.GUARDRAIL, null, null, null, null,
            new PolicyDefinition.Guardrail(null, null, null, List.of("(?i)project falcon"), null, 100), null));

    Decision denied =
        requests.before(chat(tenant, Dialect.OPENAI, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"about Project Falcon\"}]}"));
    assertThat(denied.code()).isEqualTo(DenialCodes.GUARDRAIL_BLOCKED);
    assertThat(denied.reason()).isEqualTo("the model request is blocked by req-guard@1: deny_pattern (1)");

    Decision tooLong =
        requests.before(
            chat(tenant, Dialect.ANTHROPIC,
                "{\"model\":\"gpt-x\",\"system\":\"" + "s".repeat(60) + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "u".repeat(60) + "\"}]}"));
    assertThat(tooLong.code()).isEqualTo(DenialCodes.GUARDRAIL_BLOCKED);
    assertThat(tooLong.reason()).contains("size (1)");

    assertThat(requests.before(chat(tenant, Dialect.OPENAI, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}")).allowed())
        .isTrue();
  }

  @Test
  void aDenyPatternThatRedactsReplacesTheText() {
    String tenant = tenant(guard("req-guard-redact", Map.of("deny-pattern", "redact"), List.of("(?i)project falcon")));
    ModelExchange x = chat(tenant, Dialect.OPENAI, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"about Project Falcon\"}]}");

    assertThat(requests.before(x).allowed()).isTrue();

    assertThat(x.request().body().at("/messages/0/content").asText()).isEqualTo("about [REDACTED]");
    assertThat(x.appliedPolicies()).containsExactly("req-guard-redact@1 redacted DENY_PATTERN×1 in model-requests");
  }

  /** A client could put a denied phrase in its history's tool calls, where no guardrail entry read it. */
  @Test
  void guardrailsReadTheArgumentsOfToolCallsInARequestsHistory() throws Exception {
    String history =
        "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"note\",\"arguments\":\"{\\\"topic\\\":\\\"Project \\\\u0046alcon\\\",\\\"n\\\":1.5}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"noted\"}]}";
    String blocking = tenant(guard("req-guard-args", Map.of(), List.of("(?i)project falcon")));
    Decision denied = requests.before(chat(blocking, Dialect.OPENAI, history));
    assertThat(denied.code()).isEqualTo(DenialCodes.GUARDRAIL_BLOCKED);
    assertThat(denied.reason()).isEqualTo("the model request is blocked by req-guard-args@1: deny_pattern (1)");

    String redacting = tenant(guard("req-guard-args-redact", Map.of("deny-pattern", "redact"), List.of("(?i)project falcon")));
    ModelExchange x = chat(redacting, Dialect.OPENAI, history);
    assertThat(requests.before(x).allowed()).isTrue();
    JsonNode args = JSON.readTree(x.request().body().at("/messages/1/tool_calls/0/function/arguments").asText());
    assertThat(args).isEqualTo(json("{\"topic\":\"[REDACTED]\",\"n\":1.5}"));
    assertThat(x.appliedPolicies()).containsExactly("req-guard-args-redact@1 redacted DENY_PATTERN×1 in model-requests");

    // Anthropic: a tool_use part's input, member names too.
    ModelExchange anthropic =
        chat(redacting, Dialect.ANTHROPIC,
            "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\","
                + "\"name\":\"note\",\"input\":{\"about project falcon\":[\"ok\"]}}]}]}");
    assertThat(requests.before(anthropic).allowed()).isTrue();
    assertThat(anthropic.request().body().at("/messages/0/content/0/input")).isEqualTo(json("{\"about [REDACTED]\":[\"ok\"]}"));

    // maxPromptChars counts the arguments with the texts.
    String small = tenant(new PolicyDefinition("req-guard-args-size", null, PolicyDefinition.GUARDRAIL, null, null, null, null,
        new PolicyDefinition.Guardrail(null, null, null, List.of(), null, 100), null));
    String longCall =
        "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"note\",\"arguments\":\"{\\\"text\\\":\\\"" + "x".repeat(120) + "\\\"}\"}}]}]}";
    Decision tooLong = requests.before(chat(small, Dialect.OPENAI, longCall));
    assertThat(tooLong.code()).isEqualTo(DenialCodes.GUARDRAIL_BLOCKED);
    assertThat(tooLong.reason()).contains("size (1)");

    // A task's calls were made by its own model and go through tool-arguments: not read here.
    ModelCall inTask =
        new ModelCall(ModelCall.Kind.CHAT, Dialect.OPENAI, "gpt-x", json(history), false, new Caller(blocking, "agt_1", List.of()), null, null,
            "task-1", "s1", 1);
    assertThat(requests.before(new ModelExchange(inTask, null)).allowed()).isTrue();
  }

  @Test
  void aRequestNoEntryGovernsIsNotCopied() {
    String tenant = tenant(pii("answers-only", "block", List.of("model-answers"), null));
    ModelExchange x = chat(tenant, Dialect.OPENAI, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"4111 1111 1111 1111\"}]}");
    ModelCall before = x.request();

    assertThat(requests.before(x).allowed()).isTrue();
    assertThat(x.request()).isSameAs(before);
  }

  // ---- whole answers

  private static ModelExchange answered(String tenant, Dialect dialect, String answer) {
    ModelExchange x = chat(tenant, dialect, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(answers.before(x).allowed()).isTrue();
    x.replaceResponse(new ModelAnswer(json(answer), ModelUsage.NONE, null, "p", "m", null));
    answers.after(x);
    return x;
  }

  @Test
  void aWholeAnswerIsRedactedInBothDialects() {
    String tenant = tenant(pii("ans-mask", "redact", List.of("model-answers"), null));

    ModelExchange openAi =
        answered(tenant, Dialect.OPENAI,
            "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Reach alice@example.com\"},\"finish_reason\":\"stop\"}]}");
    assertThat(openAi.response().body().at("/choices/0/message/content").asText()).isEqualTo("Reach [EMAIL]");
    assertThat(openAi.appliedPolicies()).containsExactly("ans-mask@1 redacted EMAIL×1 in model-answers");

    ModelExchange anthropic =
        answered(tenant, Dialect.ANTHROPIC,
            "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"Reach alice@example.com\"},"
                + "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"mail\",\"input\":{\"to\":\"bob@example.com\"}}]}");
    assertThat(anthropic.response().body().at("/content/0/text").asText()).isEqualTo("Reach [EMAIL]");
    assertThat(anthropic.response().body().at("/content/1/input/to").asText())
        .as("a tool call's arguments reach a client that runs the tool itself").isEqualTo("[EMAIL]");
    assertThat(anthropic.appliedPolicies()).containsExactly("ans-mask@1 redacted EMAIL×2 in model-answers");
  }

  /** A probe asked for logprobs: the content came redacted, its tokens one by one did not. */
  @Test
  void aGovernedAnswerGoesOutWithoutLogprobs() {
    String logprobs = "{\"content\":[{\"token\":\"mail\",\"logprob\":-0.1},{\"token\":\" alice@example.com\",\"logprob\":-0.2,"
        + "\"top_logprobs\":[{\"token\":\" bob@example.com\",\"logprob\":-3}]}]}";
    String answer = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"mail alice@example.com\"},"
        + "\"logprobs\":" + logprobs + ",\"finish_reason\":\"stop\"}]}";
    ModelExchange masked = answered(tenant(pii("ans-logprobs", "redact", List.of("model-answers"), null)), Dialect.OPENAI, answer);
    assertThat(masked.response().body().at("/choices/0/message/content").asText()).isEqualTo("mail [EMAIL]");
    assertThat(masked.response().body().at("/choices/0/logprobs").isNull()).as(masked.response().body().toString()).isTrue();

    // Whatever an entry found: a block entry's or a recording one's answer goes out without them too.
    ModelExchange recorded = answered(tenant(pii("ans-logprobs-rec", "record", List.of("model-answers"), null)), Dialect.OPENAI,
        answer.replace("alice@example.com", "the list"));
    assertThat(recorded.response().body().at("/choices/0/logprobs").isNull()).isTrue();
    assertThat(recorded.response().body().toString()).doesNotContain("bob@");
  }

  /** A model's tool call carried an address to a client that runs the tool itself, unread. */
  @Test
  void aWholeAnswersToolCallArgumentsAreReadAsJsonAndWrittenBackAsJson() throws Exception {
    String tenant = tenant(pii("ans-args", "redact", List.of("model-answers"), null));

    ModelExchange x =
        answered(tenant, Dialect.OPENAI,
            "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                + "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"mail\",\"arguments\":\"{\\\"to\\\": \\\"alice@example.com\\\", \\\"card\\\": 4111111111111111}\"}},"
                + "{\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"note\",\"arguments\":\"not json, bob@example.com\"}}]},"
                + "\"finish_reason\":\"tool_calls\"}]}");

    JsonNode calls = x.response().body().at("/choices/0/message/tool_calls");
    JsonNode args = JSON.readTree(calls.at("/0/function/arguments").asText());
    assertThat(args.get("to").asText()).isEqualTo("[EMAIL]");
    assertThat(args.get("card").asText()).as("a number that is a card becomes the mask").isEqualTo("[CARD]");
    assertThat(calls.at("/1/function/arguments").asText()).as("arguments that are not JSON are read as a text").isEqualTo("not json, [EMAIL]");
    assertThat(x.appliedPolicies()).singleElement().asString().contains("EMAIL×2", "CARD×1");

    ModelExchange untouched =
        answered(tenant, Dialect.OPENAI,
            "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"tool_calls\":["
                + "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{ \\\"q\\\" : 1 }\"}}]}}]}");
    assertThat(untouched.response().body().at("/choices/0/message/tool_calls/0/function/arguments").asText())
        .as("arguments in which nothing was found go on as they were written").isEqualTo("{ \"q\" : 1 }");
  }

  /** Anthropic's citations quote the document they cite: a probe saw the quote pass unredacted. */
  @Test
  void anAnthropicAnswersCitationsAreRedactedLikeItsText() {
    String tenant = tenant(pii("ans-cite", "redact", List.of("model-answers"), null));

    ModelExchange x =
        answered(tenant, Dialect.ANTHROPIC,
            "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"The contact is on file.\",\"citations\":["
                + "{\"type\":\"char_location\",\"cited_text\":\"Contact: alice@example.com, +44 20 7946 0958\",\"document_index\":0,"
                + "\"document_title\":\"crm\",\"start_char_index\":0,\"end_char_index\":44}]}]}");

    JsonNode citation = x.response().body().at("/content/0/citations/0");
    assertThat(citation.get("cited_text").asText()).isEqualTo("Contact: [EMAIL], [PHONE]");
    assertThat(citation.get("document_title").asText()).isEqualTo("crm");
    assertThat(x.response().body().at("/content/0/text").asText()).isEqualTo("The contact is on file.");
    assertThat(x.appliedPolicies()).singleElement().asString().contains("EMAIL×1", "PHONE×1");
  }

  @Test
  void theReasoningSomeOpenAiCompatibleProvidersAddIsReadLikeTheContent() {
    String tenant = tenant(pii("ans-reason", "redact", List.of("model-answers"), null));

    ModelExchange x =
        answered(tenant, Dialect.OPENAI,
            "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"done\","
                + "\"reasoning_content\":\"the user is alice@example.com\",\"reasoning\":\"SSN 536-22-1234\"},\"finish_reason\":\"stop\"}]}");

    assertThat(x.response().body().at("/choices/0/message/reasoning_content").asText()).isEqualTo("the user is [EMAIL]");
    assertThat(x.response().body().at("/choices/0/message/reasoning").asText()).isEqualTo("SSN [SSN]");
    assertThat(x.response().body().at("/choices/0/message/content").asText()).isEqualTo("done");
  }

  @Test
  void aStreamedReasoningIsRedactedAcrossChunksAndItsTailGoesWithTheFinish() throws IOException {
    String tenant = tenant(pii("stream-reason", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();

    for (String part : List.of("thinking of ali", "ce@exam", "ple.com")) {
      ObjectNode c = json(chunk(null, null));
      ((ObjectNode) c.at("/choices/0/delta")).put("reasoning_content", part);
      sink.event(null, c.toString());
    }
    sink.event(null, chunk("ok", "stop"));
    sink.event(null, "[DONE]");
    answers.after(x);

    StringBuilder reasoning = new StringBuilder();
    for (String[] e : client.events) {
      if (e[1].startsWith("{")) {
        reasoning.append(json(e[1]).at("/choices/0/delta/reasoning_content").asText(""));
      }
    }
    assertThat(reasoning.toString()).isEqualTo("thinking of [EMAIL]");
    assertThat(client.text()).isEqualTo("ok");
    assertThat(client.events).noneMatch(e -> e[1].contains("ali") || e[1].contains("exam"));
    assertThat(x.appliedPolicies()).containsExactly("stream-reason@1 redacted EMAIL×1 in model-answers");
  }

  @Test
  void aWholeAnswerThatABlockingEntryFindsPiiInReachesNoOne() {
    String tenant = tenant(pii("ans-block", "block", List.of("model-answers"), null));

    ModelExchange x = answered(tenant, Dialect.OPENAI, "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"SSN 536-22-1234\"}}]}");

    assertThat(x.response()).isNull();
    assertThat(x.denial().code()).isEqualTo(DenialCodes.PII_DETECTED);
    assertThat(x.denial().reason()).contains("model answer", "ans-block@1", "1 SSN").doesNotContain("536");
  }

  @Test
  void aProvidersErrorMessageIsRedactedOrWithheldAndTheFailureKeepsItsCodeAndStatus() {
    ModelCallException thrown =
        new ModelCallException(
            ModelCodes.INVALID_REQUEST, 400, "provider p refused the request (HTTP 400): message 2 mentions bob@example.com",
            "messages", null, false);

    ModelExchange masked = chat(tenant(pii("err-ans-mask", "redact", List.of("model-answers"), null)), Dialect.OPENAI, "{}");
    RuntimeException redacted = answers.failed(masked, thrown);
    assertThat(redacted)
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.getMessage()).isEqualTo("provider p refused the request (HTTP 400): message 2 mentions [EMAIL]");
          assertThat(e.code()).isEqualTo(ModelCodes.INVALID_REQUEST);
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.param()).isEqualTo("messages");
        });
    assertThat(masked.appliedPolicies()).containsExactly("err-ans-mask@1 redacted EMAIL×1 in model-answers");

    ModelExchange strict = chat(tenant(pii("err-ans-block", "block", List.of("model-answers"), null)), Dialect.OPENAI, "{}");
    RuntimeException withheld = answers.failed(strict, thrown);
    assertThat(withheld)
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.getMessage())
              .isEqualTo("the model call failed; its error message is withheld: it is blocked by err-ans-block@1: "
                  + "personal data or credentials found (1 EMAIL)");
          assertThat(e.code()).isEqualTo(ModelCodes.INVALID_REQUEST);
          assertThat(e.status()).isEqualTo(400);
        });
    assertThat(strict.denial()).isNull();

    ModelExchange requestsOnly = chat(tenant(pii("err-req-only", "redact", List.of("model-requests"), null)), Dialect.OPENAI, "{}");
    assertThat(answers.failed(requestsOnly, thrown)).as("an entry at model-requests only does not read answers").isSameAs(thrown);
  }

  // ---- streamed answers

  /** Records the events that reach the client. */
  static final class Recorder implements StreamSink {
    final List<String[]> events = new ArrayList<>();

    @Override
    public void open() {}

    @Override
    public void event(String name, String data) {
      events.add(new String[] {name, data});
    }

    /** The text the client assembles: OpenAI deltas' content, Anthropic text deltas. */
    String text() {
      StringBuilder sb = new StringBuilder();
      for (String[] e : events) {
        if (e[1].startsWith("{")) {
          JsonNode n = json(e[1]);
          sb.append(n.at("/choices/0/delta/content").asText("")).append(n.at("/delta/text").asText(""));
        }
      }
      return sb.toString();
    }
  }

  private static String chunk(String content, String finish) {
    ObjectNode c = json("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"}");
    ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
    ObjectNode delta = choice.putObject("delta");
    if (content != null) {
      delta.put("content", content);
    }
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }
    return c.toString();
  }

  private static ModelExchange streamed(String tenant, Dialect dialect, Recorder client) {
    ModelExchange x = exchange(tenant, dialect, ModelCall.Kind.CHAT, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", client);
    assertThat(answers.before(x).allowed()).isTrue();
    return x;
  }

  @Test
  void anOpenAiStreamIsRedactedAcrossChunksHoldingBackOnlyWhatCouldStillMatch() throws IOException {
    String tenant = tenant(pii("stream-mask", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();
    assertThat(sink).isNotSameAs(client);

    sink.event(null, chunk("Hello, world. Write to ali", null));
    assertThat(client.text()).as("sent at once, up to what could become an address").isEqualTo("Hello, world. Write to ");
    sink.event(null, chunk("ce@exam", null));
    sink.event(null, chunk("ple.com now", null));
    sink.event(null, chunk(null, "stop"));
    sink.event(null, "[DONE]");
    answers.after(x);

    assertThat(client.text()).isEqualTo("Hello, world. Write to [EMAIL] now");
    assertThat(client.events).noneMatch(e -> e[1].contains("ali") || e[1].contains("exam"));
    assertThat(client.events.get(client.events.size() - 2)[1]).as("the tail goes with the finishing chunk").contains("\"finish_reason\":\"stop\"", "\"content\":\"now\"");
    assertThat(client.events.get(client.events.size() - 1)[1]).isEqualTo("[DONE]");
    assertThat(x.appliedPolicies()).containsExactly("stream-mask@1 redacted EMAIL×1 in model-answers");
    assertThat(x.denial()).isNull();
  }

  /** Some OpenAI-compatible servers stream content as parts: a probe saw them reach the client unredacted. */
  @Test
  void anOpenAiStreamWhoseContentComesAsPartsIsRedactedToo() throws IOException {
    String tenant = tenant(pii("stream-parts", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();

    ObjectNode parts = json(chunk(null, null));
    ((ObjectNode) parts.at("/choices/0/delta")).putArray("content")
        .add(json("{\"type\":\"text\",\"text\":\"mail alice@example.com\"}"))
        .add(json("{\"type\":\"text\",\"text\":\"or card 4111 1111 1111 1111\"}"));
    sink.event(null, parts.toString());
    sink.event(null, chunk("", "stop"));
    sink.event(null, "[DONE]");
    answers.after(x);

    assertThat(client.events).noneMatch(e -> e[1].contains("alice") || e[1].contains("4111"));
    JsonNode sent = json(client.events.get(0)[1]).at("/choices/0/delta/content");
    assertThat(sent.get(0).get("text").asText()).isEqualTo("mail [EMAIL]");
    assertThat(sent.get(1).get("text").asText()).isEqualTo("or card [CARD]");
    assertThat(sent.get(0).get("type").asText()).isEqualTo("text");
    assertThat(x.appliedPolicies()).singleElement().asString().contains("EMAIL×1", "CARD×1");
  }

  /** A stream's chunks carry each token's logprobs beside the text: the text was held and redacted, the tokens went out at once. */
  @Test
  void aGovernedStreamGoesOutWithoutLogprobsAndAnAnthropicStartWithoutContent() throws IOException {
    String tenant = tenant(pii("stream-logprobs", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();
    for (String piece : List.of("mail ali", "ce@example.com", " now")) {
      ObjectNode c = json(chunk(piece, null));
      ((ObjectNode) c.at("/choices/0")).putObject("logprobs").putArray("content").addObject().put("token", piece).put("logprob", -0.5);
      sink.event(null, c.toString());
    }
    sink.event(null, chunk(null, "stop"));
    sink.event(null, "[DONE]");
    answers.after(x);
    assertThat(client.text()).isEqualTo("mail [EMAIL] now");
    assertThat(client.events).noneMatch(e -> e[1].contains("ali") || e[1].contains("example") || e[1].contains("\"token\""));

    Recorder anthropicClient = new Recorder();
    ModelExchange a = streamed(tenant, Dialect.ANTHROPIC, anthropicClient);
    a.sink().event("message_start",
        "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"mail alice@example.com\"}]}}");
    a.sink().event("message_stop", "{\"type\":\"message_stop\"}");
    answers.after(a);
    JsonNode start = json(anthropicClient.events.get(0)[1]);
    assertThat(start.at("/message/content").toString()).isEqualTo("[]");
    assertThat(start.at("/message/id").asText()).isEqualTo("m");
  }

  /** A provider split an emoji between two chunks: each half went out alone, and reached the client as "?". */
  @Test
  void aCharacterSplitBetweenTwoChunksGoesOutWhole() throws IOException {
    for (String action : List.of("redact", "record")) {
      String tenant = tenant(pii("stream-pairs-" + action, action, List.of("model-answers"), null));
      Recorder client = new Recorder();
      ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
      String emoji = new String(Character.toChars(0x1F600));
      x.sink().event(null, chunk("a" + emoji.charAt(0), null));
      x.sink().event(null, chunk(emoji.charAt(1) + "b" + emoji.charAt(0), null));
      x.sink().event(null, chunk(null, "stop"));
      x.sink().event(null, "[DONE]");
      answers.after(x);

      assertThat(client.text()).as(action).isEqualTo("a" + emoji + "b" + emoji.charAt(0));
      for (String[] e : client.events) {
        String text = json(e[1].startsWith("{") ? e[1] : "{}").at("/choices/0/delta/content").asText("");
        for (int i = 0; i < text.length(); i++) {
          if (Character.isHighSurrogate(text.charAt(i)) && i + 1 < text.length()) {
            assertThat(Character.isLowSurrogate(text.charAt(i + 1))).as(action + " " + e[1]).isTrue();
          }
          if (Character.isLowSurrogate(text.charAt(i))) {
            assertThat(i > 0 && Character.isHighSurrogate(text.charAt(i - 1))).as(action + " " + e[1]).isTrue();
          }
        }
      }
    }
  }

  @Test
  void anAnthropicStreamIsRedactedAcrossDeltasAndTheTailPrecedesTheBlocksStop() throws IOException {
    String tenant = tenant(pii("stream-mask-a", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.ANTHROPIC, client);
    StreamSink sink = x.sink();

    sink.event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"content\":[]}}");
    sink.event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    sink.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Card 4111 1111\"}}");
    sink.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" 1111 1111\"}}");
    sink.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
    sink.event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}");
    sink.event("message_stop", "{\"type\":\"message_stop\"}");
    answers.after(x);

    assertThat(client.text()).isEqualTo("Card [CARD]");
    List<String> names = client.events.stream().map(e -> e[0]).toList();
    assertThat(names).containsSubsequence("content_block_delta", "content_block_stop", "message_delta", "message_stop");
    assertThat(names.get(names.indexOf("content_block_stop") - 1)).isEqualTo("content_block_delta");
    assertThat(client.events).noneMatch(e -> e[1].contains("1111"));
    assertThat(x.appliedPolicies()).containsExactly("stream-mask-a@1 redacted CARD×1 in model-answers");
  }

  @Test
  void anAnthropicStreamsCitationsAreRedactedWholeAndABlockingEntryStopsThere() throws IOException {
    String tenant = tenant(pii("stream-cite", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.ANTHROPIC, client);
    StreamSink sink = x.sink();

    sink.event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\",\"citations\":[]}}");
    sink.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":"
        + "{\"type\":\"char_location\",\"cited_text\":\"write to alice@example.com\",\"document_index\":0,\"start_char_index\":0,\"end_char_index\":26}}}");
    sink.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"See the file.\"}}");
    sink.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
    sink.event("message_stop", "{\"type\":\"message_stop\"}");
    answers.after(x);

    assertThat(client.events).noneMatch(e -> e[1].contains("alice"));
    assertThat(json(client.events.get(1)[1]).at("/delta/citation/cited_text").asText()).isEqualTo("write to [EMAIL]");
    assertThat(json(client.events.get(1)[1]).at("/delta/citation/end_char_index").asInt()).isEqualTo(26);
    assertThat(client.text()).isEqualTo("See the file.");
    assertThat(x.appliedPolicies()).containsExactly("stream-cite@1 redacted EMAIL×1 in model-answers");

    String blocking = tenant(pii("stream-cite-block", "block", List.of("model-answers"), null));
    Recorder blocked = new Recorder();
    ModelExchange y = streamed(blocking, Dialect.ANTHROPIC, blocked);
    assertThatThrownBy(
            () -> y.sink().event("content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\",\"citations\":["
                    + "{\"type\":\"char_location\",\"cited_text\":\"card 4111 1111 1111 1111\"}]}}"))
        .isInstanceOf(StreamStopped.class);
    answers.after(y);
    assertThat(blocked.events).noneMatch(e -> e[1].contains("4111"));
    assertThat(blocked.events.get(blocked.events.size() - 1)[0]).isEqualTo("error");
    assertThat(y.denial().policy()).isEqualTo("stream-cite-block@1");
  }

  @Test
  void aBlockingEntryEndsTheStreamWithAnErrorEventAndTheCallIsDenied() throws IOException {
    String tenant = tenant(pii("stream-block", "block", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();

    sink.event(null, chunk("Sure. Mail alice@", null));
    assertThatThrownBy(() -> sink.event(null, chunk("example.com today", null))).isInstanceOf(StreamStopped.class);
    answers.after(x);

    assertThat(client.text()).isEqualTo("Sure. Mail ");
    JsonNode error = json(client.events.get(client.events.size() - 1)[1]).get("error");
    assertThat(error.get("code").asText()).isEqualTo(DenialCodes.PII_DETECTED);
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.get("message").asText()).contains("stream-block@1", "1 EMAIL").doesNotContain("alice");
    assertThat(x.denial().policy()).isEqualTo("stream-block@1");
    // The audit row's detail is the denial, not a note that the entry "redacted" what it blocked.
    assertThat(x.appliedPolicies()).noneMatch(n -> n.contains("redacted"));
  }

  @Test
  void aMatchFoundAsTheChoiceFinishesSendsNoFinishReasonBeforeTheError() throws IOException {
    String tenant = tenant(pii("stream-block-end", "block", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();

    ObjectNode c = json(chunk(null, null));
    ((ObjectNode) c.at("/choices/0/delta")).put("reasoning_content", "mail bob@example");
    sink.event(null, c.toString());
    // The address is whole only with the finishing chunk's text: the entry blocks there.
    ObjectNode finish = json(chunk(null, "stop"));
    ((ObjectNode) finish.at("/choices/0/delta")).put("reasoning_content", ".com");
    assertThatThrownBy(() -> sink.event(null, finish.toString())).isInstanceOf(StreamStopped.class);
    answers.after(x);

    assertThat(client.events).noneMatch(e -> e[1].contains("bob@"));
    assertThat(client.events).as("no chunk says the choice finished").noneMatch(e -> e[1].contains("\"stop\""));
    assertThat(json(client.events.get(client.events.size() - 1)[1]).at("/error/code").asText()).isEqualTo(DenialCodes.PII_DETECTED);
  }

  @Test
  void anAnthropicStreamBlockedMidwayEndsWithAnErrorEvent() throws IOException {
    String tenant = tenant(pii("stream-block-a", "block", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.ANTHROPIC, client);

    assertThatThrownBy(
            () -> x.sink().event("content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"key sk-proj-4f9Qx2Lm8Rt7Yb3Nc6Vd1Ze5 ok\"}}"))
        .isInstanceOf(StreamStopped.class);

    String[] last = client.events.get(client.events.size() - 1);
    assertThat(last[0]).isEqualTo("error");
    assertThat(json(last[1]).at("/error/code").asText()).isEqualTo(DenialCodes.PII_DETECTED);
    assertThat(client.text()).isEqualTo("key ");
  }

  private static String toolChunk(int index, String id, String name, String arguments, String finish) {
    ObjectNode c = json(chunk(null, finish));
    ObjectNode call = ((ObjectNode) c.at("/choices/0/delta")).putArray("tool_calls").addObject().put("index", index);
    if (id != null) {
      call.put("id", id).put("type", "function");
    }
    ObjectNode function = call.putObject("function");
    if (name != null) {
      function.put("name", name);
    }
    function.put("arguments", arguments);
    return c.toString();
  }

  /** What the client assembles of call {@code index}'s arguments, as the OpenAI SDK does. */
  private static String arguments(Recorder client, int index) {
    StringBuilder sb = new StringBuilder();
    for (String[] e : client.events) {
      if (e[1].startsWith("{")) {
        for (JsonNode call : json(e[1]).at("/choices/0/delta/tool_calls")) {
          if (call.path("index").asInt() == index) {
            sb.append(call.at("/function/arguments").asText(""));
          }
        }
      }
    }
    return sb.toString();
  }

  /** A streamed call's arguments went to the client as they came, an address split across fragments unread. */
  @Test
  void anOpenAiStreamsToolCallArgumentsAreHeldUntilTheChoiceFinishesThenRedactedWhole() throws Exception {
    String tenant = tenant(pii("stream-args", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();

    sink.event(null, chunk("Mailing ali", null));
    sink.event(null, toolChunk(1, "call_2", "note", "", null)); // the second call begins before the first's arguments
    sink.event(null, toolChunk(0, "call_1", "mail", "", null));
    sink.event(null, toolChunk(0, null, null, "{\"to\": \"ali", null));
    sink.event(null, toolChunk(1, null, null, "{\"text\": \"hi\"}", null));
    sink.event(null, toolChunk(0, null, null, "ce@example.com\"}", null));
    assertThat(client.events).as("nothing of the calls goes out before they are whole").hasSize(1);
    sink.event(null, chunk("ce@example.com.", "tool_calls"));
    sink.event(null, "[DONE]");
    answers.after(x);

    assertThat(client.events).noneMatch(e -> e[1].contains("ali"));
    assertThat(json(client.events.get(client.events.size() - 2)[1]).at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    JsonNode released = json(client.events.get(client.events.size() - 3)[1]).at("/choices/0");
    assertThat(released.get("finish_reason").isNull()).as("the calls come just before the chunk that finishes the choice").isTrue();
    assertThat(released.at("/delta/content").asText()).as("with the text's tail, before them").isEqualTo("[EMAIL].");
    JsonNode calls = released.at("/delta/tool_calls");
    assertThat(calls).as("each call whole, in index order").hasSize(2);
    assertThat(calls.at("/0/index").asInt()).isEqualTo(0);
    assertThat(calls.at("/0/id").asText()).isEqualTo("call_1");
    assertThat(calls.at("/0/type").asText()).isEqualTo("function");
    assertThat(calls.at("/0/function/name").asText()).isEqualTo("mail");
    assertThat(JSON.readTree(calls.at("/0/function/arguments").asText()).get("to").asText()).isEqualTo("[EMAIL]");
    assertThat(calls.at("/1/id").asText()).isEqualTo("call_2");
    assertThat(calls.at("/1/function/arguments").asText()).as("nothing found: as written").isEqualTo("{\"text\": \"hi\"}");
    assertThat(x.appliedPolicies()).containsExactly("stream-args@1 redacted EMAIL×2 in model-answers");
  }

  /**
   * A probe's hidden card: a member name written twice (a reader keeps the last) and the card as
   * an exponent; and a call sent without an index, its value split across two fragments.
   */
  @Test
  void aRepeatedMemberNameAndACallWithoutAnIndexHideNothing() throws Exception {
    String tenant = tenant(pii("stream-args-hidden", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();

    sink.event(null, toolChunk(0, "call_1", "pay", "{\"n\":1,\"n\":4.111111111111111E15}", null));
    ObjectNode first = json(toolChunk(0, "call_2", "mail", "{\"a\":\"alice@exa", null));
    ((ObjectNode) first.at("/choices/0/delta/tool_calls/0")).remove("index");
    sink.event(null, first.toString());
    ObjectNode rest = json(toolChunk(0, null, null, "mple.com\"}", null));
    ((ObjectNode) rest.at("/choices/0/delta/tool_calls/0")).remove("index");
    sink.event(null, rest.toString());
    sink.event(null, chunk(null, "tool_calls"));
    answers.after(x);

    assertThat(client.events).noneMatch(e -> e[1].contains("4.111") || e[1].contains("alice"));
    JsonNode calls = json(client.events.get(0)[1]).at("/choices/0/delta/tool_calls");
    assertThat(calls.at("/0/function/arguments").asText()).isEqualTo("{\"n\":1,\"n#2\":\"[CARD]\"}");
    assertThat(calls.at("/1/id").asText()).isEqualTo("call_2");
    assertThat(calls.at("/1/index").isMissingNode()).as("sent as it came, without an index").isTrue();
    assertThat(calls.at("/1/function/arguments").asText()).isEqualTo("{\"a\":\"[EMAIL]\"}");

    // Broken JSON is read as a text, its decimal numbers as the digits a lenient reader takes.
    assertThat(CallArguments.ofText(null, null, "{\"n\": 4.111111111111111E15, \"m\": 1.50").value().asText())
        .isEqualTo("{\"n\": 4111111111111111, \"m\": 1.5");
  }

  @Test
  void anAnthropicStreamsToolInputIsHeldUntilTheBlockStopsAndABlockingEntryEndsTheStreamThere() throws Exception {
    String tenant = tenant(pii("stream-args-a", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.ANTHROPIC, client);
    StreamSink sink = x.sink();

    sink.event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"mail\",\"input\":{}}}");
    sink.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"to\\\":\\\"bob@exa\"}}");
    sink.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"mple.com\\\"}\"}}");
    assertThat(client.events).hasSize(1);
    sink.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}");
    sink.event("message_stop", "{\"type\":\"message_stop\"}");
    answers.after(x);

    assertThat(client.events.stream().map(e -> e[0]).toList())
        .containsExactly("content_block_start", "content_block_delta", "content_block_stop", "message_stop");
    assertThat(JSON.readTree(json(client.events.get(1)[1]).at("/delta/partial_json").asText()).get("to").asText()).isEqualTo("[EMAIL]");
    assertThat(x.appliedPolicies()).containsExactly("stream-args-a@1 redacted EMAIL×1 in model-answers");

    String blocking = tenant(pii("stream-args-block", "block", List.of("model-answers"), null));
    Recorder second = new Recorder();
    ModelExchange y = streamed(blocking, Dialect.ANTHROPIC, second);
    y.sink().event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"pay\",\"input\":{}}}");
    y.sink().event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"card\\\":4111111111111111}\"}}");
    assertThatThrownBy(() -> y.sink().event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")).isInstanceOf(StreamStopped.class);
    answers.after(y);

    assertThat(second.events).noneMatch(e -> e[1].contains("4111"));
    assertThat(second.events.get(second.events.size() - 1)[0]).isEqualTo("error");
    assertThat(y.denial().policy()).isEqualTo("stream-args-block@1");
  }

  /** In a task the tools are called through Gatehouse: tool-arguments reads what they are sent, not these places. */
  @Test
  void aTasksToolCallsAreLeftForToolArguments() {
    String tenant = tenant(pii("task-args", "redact", List.of("model-requests", "model-answers"), null));
    String call = "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"crm_lookup\",\"arguments\":\"{\\\"email\\\":\\\"alice@example.com\\\"}\"}}";
    ModelCall inTask =
        new ModelCall(ModelCall.Kind.CHAT, Dialect.OPENAI, "gpt-x",
            json("{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[" + call + "]}]}"), false,
            new Caller(tenant, "agt_1", List.of()), null, null, "task-1", "s1", 1);
    assertThat(inTask.callerRunsTools()).isFalse();
    ModelExchange x = new ModelExchange(inTask, null);

    assertThat(requests.before(x).allowed()).isTrue();
    assertThat(x.request().body().toString()).contains("alice@example.com");
    x.replaceResponse(new ModelAnswer(json("{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"tool_calls\":[" + call + "]}}]}"),
        ModelUsage.NONE, null, "p", "m", null));
    answers.after(x);

    assertThat(x.response().body().toString()).contains("alice@example.com");
    assertThat(x.appliedPolicies()).isEmpty();
  }

  /** A probe's provider sent the rest of a card after the choice's finish: it completed what the entries had read without it. */
  @Test
  void whatAProviderSendsForAChoiceAfterItsFinishIsDropped() throws Exception {
    String tenant = tenant(pii("stream-args-late", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);
    StreamSink sink = x.sink();

    sink.event(null, toolChunk(0, "call_l", "pay", "{\"card\":\"4111 1111", null));
    sink.event(null, chunk("Paying 4111 1111", "tool_calls"));
    sink.event(null, toolChunk(0, null, null, " 1111 1111\"}", null));
    sink.event(null, chunk(" 1111 1111", null));
    sink.event(null, "[DONE]");
    answers.after(x);

    assertThat(client.events).noneMatch(e -> e[1].contains(" 1111 1111\"") || e[1].contains("\" 1111 1111"));
    assertThat(arguments(client, 0)).isEqualTo("{\"card\":\"4111 1111");
    assertThat(client.text()).isEqualTo("Paying 4111 1111");
    assertThat(client.events.get(client.events.size() - 1)[1]).isEqualTo("[DONE]");
  }

  /** What a stream holds is bounded: by its calls as by their arguments. */
  @Test
  void aStreamWithMoreCallsThanCanBeHeldEndsAsBlocked() throws Exception {
    String tenant = tenant(pii("stream-args-many", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);

    for (int i = 0; i < RedactingStreamSink.MAX_HELD_CALLS; i++) {
      x.sink().event(null, toolChunk(i, "call_" + i, "f", "{}", null));
    }
    assertThatThrownBy(() -> x.sink().event(null, toolChunk(RedactingStreamSink.MAX_HELD_CALLS, "call_over", "f", "{}", null)))
        .isInstanceOf(StreamStopped.class);
    answers.after(x);

    assertThat(json(client.events.get(client.events.size() - 1)[1]).at("/error/code").asText()).isEqualTo(DenialCodes.PII_DETECTED);
    assertThat(x.denial().reason()).contains("more than 1024");
  }

  /** Some OpenAI-compatible servers send each call whole, without an index. */
  @Test
  void aStreamedCallWithoutAnIndexIsRedactedAsItComes() throws Exception {
    String tenant = tenant(pii("stream-args-noindex", "redact", List.of("model-answers"), null));
    Recorder client = new Recorder();
    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);

    ObjectNode c = json(toolChunk(0, "call_1", "mail", "{\"to\":\"dan@example.com\"}", null));
    ((ObjectNode) c.at("/choices/0/delta/tool_calls/0")).remove("index");
    x.sink().event(null, c.toString());
    x.sink().event(null, "[DONE]"); // a stream that ends without a finish sends what it held

    assertThat(client.events).hasSize(2);
    assertThat(JSON.readTree(json(client.events.get(0)[1]).at("/choices/0/delta/tool_calls/0/function/arguments").asText()).get("to").asText())
        .isEqualTo("[EMAIL]");
  }

  @Test
  void aStreamNoEntryGovernsKeepsItsSink() {
    String tenant = tenant(pii("requests-only", "block", List.of("model-requests"), null));
    Recorder client = new Recorder();

    ModelExchange x = streamed(tenant, Dialect.OPENAI, client);

    assertThat(x.sink()).isSameAs(client);
  }
}
