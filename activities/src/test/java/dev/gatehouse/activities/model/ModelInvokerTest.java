package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.BudgetLedger;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.activities.usage.UsageLog;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.secrets.SecretBox;
import dev.gatehouse.registry.secrets.Secrets;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.usage.UsageDao;
import dev.gatehouse.registry.usage.UsageQuery;
import dev.gatehouse.workflows.model.ModelBudget;
import dev.gatehouse.workflows.tool.Caller;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The model chain as ModelInvoker assembles it: the registry on PostgreSQL, FAKE providers on
 * loopback (no LLM runs here), the real HTTP client. Routing, retries, fallback, cool-down,
 * streaming relay and the refusals each face shows.
 */
class ModelInvokerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROVIDER_KEY = "sk-provider-secret-0123456789";

  private static TestDatabase db;
  private static AuditLog audit;
  private static UsageLog usage;
  private static Map<String, FakeLlm> fakes;
  private static RawLlm raw;
  private static Secrets secrets;
  private static ModelInvoker invoker;
  /** The metrics of the latest invoker. */
  private static CollectorRegistry metrics;

  @BeforeAll
  static void start() throws IOException {
    db = TestDatabase.create();
    fakes = FakeLlm.named("a", "b", "c", "d", "e", "f", "g");
    raw = new RawLlm();
    db.jdbi().useExtension(TenantDao.class, t -> t.insert("ten_a", "a"));
    db.jdbi().useExtension(TenantDao.class, t -> t.insert("ten_b", "b"));
    secrets = new Secrets(db.jdbi(), new SecretBox(Map.of("k1", SecretBox.newMasterKey()), "k1"));
    secrets.put(null, "key-a", PROVIDER_KEY);
    ProviderDao providers = db.jdbi().onDemand(ProviderDao.class);
    for (FakeLlm f : fakes.values()) {
      providers.insert(
          new ProviderDefinition(
              "p-" + f.name, null, ProviderDefinition.OPENAI, f.baseUrl(), f.name.equals("a") ? "{{secret:key-a}}" : null, Duration.ofMillis(1500), Map.of()));
    }
    providers.insert(new ProviderDefinition("p-b-tenant", "ten_b", ProviderDefinition.OPENAI, fakes.get("b").baseUrl(), null, null, Map.of()));
    providers.insert(new ProviderDefinition("p-raw", null, ProviderDefinition.OPENAI, raw.baseUrl(), null, Duration.ofMillis(1500), Map.of()));
    providers.insert(new ProviderDefinition("p-raw-anthropic", null, ProviderDefinition.ANTHROPIC, raw.baseUrl(), null, Duration.ofMillis(1500), Map.of()));
    providers.insert(new ProviderDefinition("p-g-anthropic", null, ProviderDefinition.ANTHROPIC, fakes.get("g").baseUrl(), null, Duration.ofMillis(1500), Map.of()));
    providers.insert(
        new ProviderDefinition("p-raw-keyed", null, ProviderDefinition.OPENAI, raw.baseUrl(), "{{secret:key-a}}", Duration.ofMillis(1500), Map.of()));
    ModelDao models = db.jdbi().onDemand(ModelDao.class);
    RetrySpec fast = new RetrySpec(2, Duration.ofMillis(5), 2.0, Duration.ofMillis(20));
    models.insert(model("solo", null, List.of(target("p-a", 1)), List.of(), fast));
    models.insert(model("ab", null, List.of(target("p-c", 1)), List.of("solo-b"), fast));
    models.insert(model("solo-b", null, List.of(target("p-b", 1)), List.of(), fast));
    models.insert(model("de", null, List.of(target("p-d", 1), target("p-e", 1)), List.of(), new RetrySpec(1, Duration.ofMillis(5), 2.0, Duration.ofMillis(5))));
    models.insert(model("f", null, List.of(target("p-f", 1)), List.of(), fast));
    models.insert(model("raw", null, List.of(target("p-raw", 1)), List.of(), fast));
    models.insert(model("raw-then-b", null, List.of(target("p-raw", 1)), List.of("solo-b"), fast));
    models.insert(model("raw-anthropic", null, List.of(target("p-raw-anthropic", 1)), List.of(), fast));
    models.insert(model("anthropic-then-b", null, List.of(target("p-g-anthropic", 1)), List.of("solo-b"), fast));
    models.insert(model("anthropic-only", null, List.of(target("p-g-anthropic", 1)), List.of(), fast));
    models.insert(model("raw-keyed", null, List.of(target("p-raw-keyed", 1)), List.of(), fast));
    models.insert(model("private-b", "ten_b", List.of(target("p-b-tenant", 1)), List.of(), fast));
    // Per million tokens: "priced" costs 1 in and 2 out, and may fall back to "pricier", ten times that.
    models.insert(
        new ModelDefinition("priced", null, List.of(target("p-a", 1)), List.of("pricier"), fast,
            new ModelDefinition.Prices(new BigDecimal("1"), null, new BigDecimal("2")), null, null));
    models.insert(
        new ModelDefinition("pricier", null, List.of(target("p-b", 1)), List.of(), fast,
            new ModelDefinition.Prices(new BigDecimal("10"), null, new BigDecimal("20")), null, null));
    AgentDao agents = db.jdbi().onDemand(AgentDao.class);
    agents.insert(new Agent("agt_all", "ten_a", "all", null, new Permissions(null, new AccessList(List.of("*"), List.of()), null), null, null));
    agents.insert(new Agent("agt_some", "ten_a", "some", null, new Permissions(null, new AccessList(List.of("solo"), List.of()), null), null, null));

    audit = new AuditLog(db.jdbi(), 100, Duration.ofMillis(10));
    usage = new UsageLog(db.jdbi(), 1000, Duration.ofMillis(10));
  }

  /** A new invoker per test: cool-downs one test caused must not reach the next. */
  private static ModelInvoker newInvoker() {
    metrics = new CollectorRegistry();
    return
        new ModelInvoker(
            db.jdbi(),
            new UpstreamCredentials(secrets, Clock.systemUTC()),
            new GatehouseMetrics(metrics),
            audit,
            usage,
            new ModelRoutingSettings(3, Duration.ofSeconds(30), Duration.ofSeconds(2), 1 << 20, 1 << 20, Duration.ZERO),
            new PolicyCatalog(db.jdbi(), Duration.ZERO),
            new BudgetLedger(db.jdbi(), BudgetLedger.DEFAULT_RESERVATION_TTL, null));
  }

  @AfterAll
  static void stop() throws Exception {
    usage.close();
    audit.close();
    fakes.values().forEach(FakeLlm::close);
    raw.close();
    db.close();
  }

  @BeforeEach
  void clean() {
    fakes.values().forEach(FakeLlm::reset);
    invoker = newInvoker();
  }

  @AfterEach
  void closeInvoker() {
    invoker.close();
  }

  private static ModelDefinition model(String name, String tenant, List<ModelDefinition.Target> targets, List<String> fallbacks, RetrySpec retry) {
    return new ModelDefinition(name, tenant, targets, fallbacks, retry, null, null, null);
  }

  private static ModelDefinition.Target target(String provider, int weight) {
    return new ModelDefinition.Target(provider, "pm-" + provider, weight);
  }

  private static ModelCall chat(String agent, String alias, boolean stream, String extra) {
    try {
      ObjectNode body =
          (ObjectNode) JSON.readTree("{\"model\":\"" + alias + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + extra + (stream ? ",\"stream\":true" : "") + "}");
      return new ModelCall(ModelCall.Kind.CHAT, Dialect.OPENAI, alias, body, stream, new Caller("ten_a", agent, List.of()), null, "req-1", null, null, 1);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** A chat call of an agent task, with what the task has left. */
  private static ModelCall budgeted(String alias, String extra, ModelBudget budget) {
    ModelCall c = chat("agt_all", alias, false, extra);
    return new ModelCall(
        c.kind(), c.dialect(), c.alias(), c.body(), false, c.caller(), null, null, "task_1", "model-1", 1, budget);
  }

  @Test
  void aTaskCallWhoseWorstCaseTokensWouldPassItsBudgetIsNotSent() {
    ModelCall probe = budgeted("solo", ",\"max_tokens\":50", null);
    long input = TokenEstimator.inputTokens(Dialect.OPENAI, probe.body());
    long worst = input + 50;

    assertThatThrownBy(() -> invoker.call(budgeted("solo", ",\"max_tokens\":50", new ModelBudget(worst - 1, null))))
        .isInstanceOfSatisfying(
            ModelCallException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ModelBudget.BUDGET_EXCEEDED);
              assertThat(e.status()).isEqualTo(402);
              assertThat(e.retryable()).isFalse();
              assertThat(e.getMessage()).contains("could use " + worst + " tokens").contains((worst - 1) + " left");
            });
    assertThat(fakes.get("a").seen()).as("nothing was sent").isEmpty();

    invoker.call(budgeted("solo", ",\"max_tokens\":50", new ModelBudget(worst, null)));
    assertThat(fakes.get("a").seen()).hasSize(1);
  }

  @Test
  void aTaskBudgetNeedsMaxTokensOrTheWorstCaseHasNoBound() {
    assertThatThrownBy(() -> invoker.call(budgeted("solo", "", new ModelBudget(100_000L, null))))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelBudget.BUDGET_EXCEEDED))
        .hasMessageContaining("must set max_tokens");
    assertThat(fakes.get("a").seen()).isEmpty();
  }

  @Test
  void theWorstCaseCostIsPricedAtTheDearestModelTheCallMayFallBackTo() {
    ModelCall probe = budgeted("priced", ",\"max_tokens\":1000", null);
    long input = TokenEstimator.inputTokens(Dialect.OPENAI, probe.body());
    // At "pricier"'s prices: 10 per million in, 20 per million out.
    BigDecimal dearest =
        new BigDecimal("10").multiply(BigDecimal.valueOf(input)).add(new BigDecimal("20000")).movePointLeft(6);
    BigDecimal cheap = BigDecimal.valueOf(input).add(new BigDecimal("2000")).movePointLeft(6);

    assertThatThrownBy(
            () -> invoker.call(budgeted("priced", ",\"max_tokens\":1000", new ModelBudget(null, cheap.toPlainString()))))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelBudget.BUDGET_EXCEEDED))
        .hasMessageContaining("could cost " + dearest.stripTrailingZeros().toPlainString());
    assertThat(fakes.get("a").seen()).isEmpty();

    ModelAnswer a = invoker.call(budgeted("priced", ",\"max_tokens\":1000", new ModelBudget(null, dearest.toPlainString())));
    assertThat(a.provider()).isEqualTo("p-a");
  }

  @Test
  void aCostBudgetOnAModelWithoutPricesIsRefused() {
    assertThatThrownBy(() -> invoker.call(budgeted("solo", ",\"max_tokens\":10", new ModelBudget(null, "100"))))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelBudget.BUDGET_EXCEEDED))
        .hasMessageContaining("has no prices");
    assertThat(fakes.get("a").seen()).isEmpty();
  }

  /** The newest model call audit row, once the log wrote what it had. */
  private static dev.gatehouse.registry.audit.AuditDao.Row lastAudit() throws InterruptedException {
    audit.flush();
    return db.jdbi().withExtension(
        dev.gatehouse.registry.audit.AuditDao.class, dao -> dao.page("ten_a", null, "model.call", null, null, null, null, 1)).get(0);
  }

  /** The newest usage row, once the log wrote what it had. */
  private static UsageDao.Row lastUsage() throws InterruptedException {
    usage.flush();
    UsageQuery q = new UsageQuery("ten_a", null, null, null, Instant.now().minusSeconds(600), Instant.now().plusSeconds(60));
    return db.jdbi().onDemand(UsageDao.class).page(q, null, 1).get(0);
  }

  /** Collects a stream's events; can be told to fail (the client leaving) after some. */
  private static class Collecting implements StreamSink {
    final List<String> events = new CopyOnWriteArrayList<>();
    boolean opened;
    int failAfter = Integer.MAX_VALUE;

    @Override
    public void open() {
      opened = true;
    }

    @Override
    public void event(String name, String data) throws IOException {
      if (events.size() >= failAfter) {
        throw new IOException("client went away");
      }
      events.add(data);
    }
  }

  /**
   * An answer without {@code usage} is counted from its text (estimated), not billed as no
   * output: a probe's provider that left usage out had 2,000 words charged as 80 tokens.
   */
  @Test
  void anAnswerWithoutUsageIsCountedFromItsText() {
    fakes.get("a").behave(FakeLlm.Behaviour.ANSWER_WITHOUT_USAGE);
    ModelAnswer a = invoker.call(chat("agt_all", "solo", false, ""));
    assertThat(a.usage().estimated()).isTrue();
    assertThat(a.usage().outputTokens()).as(a.usage().toString()).isGreaterThanOrEqualTo(300);
    assertThat(a.usage().inputTokens()).isPositive();
  }

  /**
   * Translated into the caller's dialect, an answer whose provider reported no usage tells the
   * caller what is metered: it said 0 tokens in and out, while the call was charged its estimate.
   */
  @Test
  void aTranslatedAnswerWithoutUsageTellsTheCallerWhatIsMetered() {
    fakes.get("a").behave(FakeLlm.Behaviour.ANSWER_WITHOUT_USAGE);
    ModelAnswer a = invoker.call(anthropicChat("solo", false));
    assertThat(a.usage().estimated()).isTrue();
    assertThat(a.usage().outputTokens()).isGreaterThanOrEqualTo(300);
    assertThat(a.body().get("usage").get("output_tokens").asLong()).isEqualTo(a.usage().outputTokens());
    assertThat(a.body().get("usage").get("input_tokens").asLong()).isEqualTo(a.usage().inputTokens()).isPositive();

    Collecting sink = new Collecting();
    ModelAnswer streamed = invoker.stream(anthropicChat("solo", true), sink);
    assertThat(streamed.usage().estimated()).isTrue();
    String delta = sink.events.stream().filter(e -> e.contains("\"message_delta\"")).findFirst().orElseThrow();
    JsonNode usage = readJson(delta).get("usage");
    assertThat(usage.get("output_tokens").asLong()).isEqualTo(streamed.usage().outputTokens()).isPositive();
    assertThat(usage.get("input_tokens").asLong()).isEqualTo(streamed.usage().inputTokens());
  }

  private static JsonNode readJson(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void aCallReachesTheProviderWithGatehousesKeyAndEveryMemberTheCallerSent() throws Exception {
    ModelAnswer a = invoker.call(chat("agt_all", "solo", false, ",\"x_vendor_option\":{\"keep\":[1,2]},\"temperature\":0.2"));

    assertThat(a.provider()).isEqualTo("p-a");
    assertThat(a.providerModel()).isEqualTo("pm-p-a");
    assertThat(a.body().path("choices").path(0).path("message").path("content").asText()).isEqualTo("hello from a");
    assertThat(a.usage()).isEqualTo(new ModelUsage(11, 0, 7, 0, false));
    FakeLlm.Seen seen = fakes.get("a").seen().get(0);
    assertThat(seen.authorization()).isEqualTo("Bearer " + PROVIDER_KEY);
    var sent = JSON.readTree(seen.body());
    assertThat(sent.path("model").asText()).isEqualTo("pm-p-a");
    assertThat(sent.path("x_vendor_option")).isEqualTo(JSON.readTree("{\"keep\":[1,2]}"));
    assertThat(sent.path("temperature").asDouble()).isEqualTo(0.2);
  }

  @Test
  void aFailingTargetIsRetriedThenTheFallbackAliasAnswers() throws Exception {
    fakes.get("c").behave(FakeLlm.Behaviour.FAIL_500);

    ModelAnswer a = invoker.call(chat("agt_all", "ab", false, ""));

    assertThat(a.provider()).isEqualTo("p-b");
    assertThat(fakes.get("c").seen()).hasSize(2); // retry.maxAttempts 2 on the first alias's target
    assertThat(fakes.get("b").seen()).hasSize(1);
    UsageDao.Row row = lastUsage();
    assertThat(row.model()).isEqualTo("ab");
    assertThat(row.provider()).isEqualTo("p-b");
    assertThat(row.providerModel()).isEqualTo("pm-p-b");
    assertThat(row.outcome()).isEqualTo("ok");
    assertThat(row.inputTokens()).isEqualTo(11);
    assertThat(row.outputTokens()).isEqualTo(7);
    assertThat(row.estimated()).isFalse();
  }

  /**
   * A fallback governed by an entry that does not govern the alias named is not tried: its checks
   * ran for the named alias only. A probe reached a model past its rate limit, its PII redaction
   * and its guardrail through another alias's fallback.
   */
  @Test
  void aFallbackGovernedByAnEntryTheNamedAliasIsNotIsNotTried() {
    fakes.get("c").behave(FakeLlm.Behaviour.FAIL_500);
    var policies = db.jdbi().onDemand(dev.gatehouse.registry.policies.PolicyDao.class);
    policies.insert(
        new dev.gatehouse.registry.policies.PolicyDefinition(
            "fb-limit", "ten_a", dev.gatehouse.registry.policies.PolicyDefinition.RATE_LIMIT,
            new dev.gatehouse.registry.policies.PolicyDefinition.AppliesTo(null, null, List.of("solo-b")),
            new dev.gatehouse.registry.policies.PolicyDefinition.RateLimit(1, null, "agent"), null, null, null, null));
    try {
      assertThatThrownBy(() -> invoker.call(chat("agt_all", "ab", false, "")))
          .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.getMessage()).contains("fallback solo-b not tried: policy fb-limit@1 governs it and not ab"));
      assertThat(fakes.get("b").seen()).as("nothing sent to the fallback").isEmpty();

      // An entry that governs both: its checks ran for the call, and the fallback is tried.
      policies.upsert(
          new dev.gatehouse.registry.policies.PolicyDefinition(
              "fb-limit", "ten_a", dev.gatehouse.registry.policies.PolicyDefinition.RATE_LIMIT,
              new dev.gatehouse.registry.policies.PolicyDefinition.AppliesTo(null, null, List.of("ab", "solo-b")),
              new dev.gatehouse.registry.policies.PolicyDefinition.RateLimit(100, null, "agent"), null, null, null, null));
      assertThat(invoker.call(chat("agt_all", "ab", false, "")).provider()).isEqualTo("p-b");
    } finally {
      policies.delete("fb-limit");
    }
  }

  @Test
  void aDurableStepTriesEachTargetOnceForTheEngineRetriesIt() throws Exception {
    fakes.get("c").behave(FakeLlm.Behaviour.FAIL_500);
    ModelCall step = chat("agt_all", "ab", false, "");
    ModelCall durable =
        new ModelCall(step.kind(), step.dialect(), step.alias(), step.body(), false, step.caller(), null, null, "task_1", "summary", 1);

    ModelAnswer a = invoker.call(durable);

    assertThat(a.provider()).isEqualTo("p-b");
    assertThat(fakes.get("c").seen()).hasSize(1); // the model's retry.maxAttempts is 2: the engine's to use
    UsageDao.Row row = lastUsage();
    assertThat(row.taskId()).isEqualTo("task_1");
    assertThat(row.stepId()).isEqualTo("summary");
  }

  @Test
  void aProviderRefusingTheRequestEndsTheCallWithoutFallback() {
    fakes.get("c").behave(FakeLlm.Behaviour.BAD_REQUEST);

    assertThatThrownBy(() -> invoker.call(chat("agt_all", "ab", false, "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.code()).isEqualTo(ModelCodes.INVALID_REQUEST);
          // on one line, the provider's escapes spaced out: it goes into agents' errors and task failures
          assertThat(e.getMessage()).contains("too long for this model WARN  [2026-12-06 22:00:00,000] forged  [31m !");
        });
    assertThat(fakes.get("c").seen()).hasSize(1);
    assertThat(fakes.get("b").seen()).isEmpty();
  }

  /**
   * A probe's alias with an Anthropic target and an OpenAI fallback answered a request with
   * {@code n: 2} (which no Anthropic model serves) 400 {@code invalid_request}, nothing sent: the
   * target that could answer was never tried, and with weighted targets the same request got a
   * 400 or a 200 by chance. A target the request cannot be translated for is skipped; its refusal
   * is the answer only when no target could take the request.
   */
  @Test
  void aTargetThatCannotTakeTheRequestIsSkippedForOneThatCan() {
    ModelAnswer a = invoker.call(chat("agt_all", "anthropic-then-b", false, ",\"n\":2"));

    assertThat(a.provider()).isEqualTo("p-b");
    assertThat(fakes.get("b").seen()).hasSize(1);
    assertThat(fakes.get("b").seen().get(0).body()).contains("\"n\":2");
    assertThat(fakes.get("g").seen()).isEmpty();

    // No target can take it: the refusal, naming the member, as before.
    assertThatThrownBy(() -> invoker.call(chat("agt_all", "anthropic-only", false, ",\"n\":2")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.code()).isEqualTo(ModelCodes.INVALID_REQUEST);
          assertThat(e.param()).isEqualTo("n");
        });

    // The target that could take it failed: that failure is the answer, and the skip is said.
    fakes.get("b").behave(FakeLlm.Behaviour.FAIL_500);
    assertThatThrownBy(() -> invoker.call(chat("agt_all", "anthropic-then-b", false, ",\"n\":2")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_UNAVAILABLE);
          assertThat(e.getMessage()).contains("p-g-anthropic/pm-p-g-anthropic cannot take this request");
        });
    assertThat(fakes.get("g").seen()).isEmpty();
  }

  @Test
  void aLongRetryAfterFallsBackAtOnceAndCoolsTheProviderDown() {
    fakes.get("d").behave(FakeLlm.Behaviour.RATE_LIMITED_60S);
    fakes.get("e").behave(FakeLlm.Behaviour.RATE_LIMITED_60S);

    assertThatThrownBy(() -> invoker.call(chat("agt_all", "de", false, "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.code()).isEqualTo(ModelCodes.RATE_LIMITED);
          assertThat(e.retryAfter()).isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
        });
    assertThat(fakes.get("d").seen()).hasSize(1);
    assertThat(fakes.get("e").seen()).hasSize(1);

    // Both cool down: the next call does not reach them at all, and is still told it is rate limited.
    fakes.get("d").behave(FakeLlm.Behaviour.ANSWER);
    assertThatThrownBy(() -> invoker.call(chat("agt_all", "de", false, "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.code()).isEqualTo(ModelCodes.RATE_LIMITED);
          assertThat(e.retryAfter()).isPositive();
        });
    assertThat(fakes.get("d").seen()).hasSize(1);
  }

  /**
   * A provider that keeps answering 429 with a short Retry-After is rate limited, not out: past
   * the cool-down's three failures it was skipped for the whole 30 s cool-down and every call then
   * was 503 upstream_unavailable with Retry-After 30 (a probe's SDKs raised server errors and slept
   * 30 s). Its cool-down ends when it said, and calls meanwhile are rate_limited.
   */
  @Test
  void aProviderThatKeepsAnswering429IsRateLimitedForAsLongAsItSays() throws Exception {
    fakes.get("f").behave(FakeLlm.Behaviour.RATE_LIMITED_1S);
    for (int i = 0; i < 3; i++) {
      // Each call reaches the provider twice (it waits the second it was told): six 429s in a
      // row, past the three after which a cool-down of 30 s had begun. (That calls meanwhile are
      // rate_limited is CoolDownsTest's, on a clock of its own.)
      int seen = fakes.get("f").seen().size();
      assertThatThrownBy(() -> invoker.call(chat("agt_all", "f", false, "")))
          .as("call " + i)
          .isInstanceOfSatisfying(ModelCallException.class, e -> {
            assertThat(e.code()).isEqualTo(ModelCodes.RATE_LIMITED);
            assertThat(e.status()).isEqualTo(429);
            assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1));
          });
      assertThat(fakes.get("f").seen().size() - seen).as("call " + i).isEqualTo(2);
      Thread.sleep(1_100);
    }
    fakes.get("f").behave(FakeLlm.Behaviour.ANSWER);
    assertThat(invoker.call(chat("agt_all", "f", false, "")).provider()).as("called again when it said").isEqualTo("p-f");
  }

  /** A provider's Retry-After is told on no longer than a cool-down lasts: some clients sleep for whatever it says. */
  @Test
  void aProvidersRetryAfterOfYearsIsToldAsTenMinutes() {
    fakes.get("d").behave(FakeLlm.Behaviour.RATE_LIMITED_YEARS);
    fakes.get("e").behave(FakeLlm.Behaviour.RATE_LIMITED_YEARS);
    assertThatThrownBy(() -> invoker.call(chat("agt_all", "de", false, "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.code()).isEqualTo(ModelCodes.RATE_LIMITED);
          assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(10));
        });
  }

  @Test
  void aShortRetryAfterIsWaitedForAndRetried() {
    fakes.get("f").behave(FakeLlm.Behaviour.RATE_LIMITED_1S);
    long start = System.nanoTime();
    assertThatThrownBy(() -> invoker.call(chat("agt_all", "f", false, "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelCodes.RATE_LIMITED));
    assertThat(fakes.get("f").seen()).hasSize(2);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
  }

  @Test
  void aProviderThatDoesNotAnswerInItsTimeoutIsLeftForTheFallback() {
    fakes.get("c").behave(FakeLlm.Behaviour.HANG);
    ModelAnswer a = invoker.call(chat("agt_all", "ab", false, ""));
    assertThat(a.provider()).isEqualTo("p-b");
  }

  /**
   * A call told to stop (its task cancelled) ends as canceled, not as the provider's upstream_error
   * (a probe's cancelled tasks showed as provider failures in the usage rows and the metrics), and
   * does not cool the provider down.
   */
  @Test
  void aCallToldToStopIsCanceledAndTheProviderIsNotCooledDown() throws Exception {
    fakes.get("f").behave(FakeLlm.Behaviour.HANG);
    java.util.concurrent.CompletableFuture<Throwable> failed = new java.util.concurrent.CompletableFuture<>();
    Thread caller = new Thread(() -> {
      try {
        invoker.call(chat("agt_all", "f", false, ""));
        failed.complete(null);
      } catch (Throwable t) {
        failed.complete(t);
      }
    });
    caller.start();
    for (int i = 0; i < 200 && fakes.get("f").seen().isEmpty(); i++) {
      Thread.sleep(25);
    }
    assertThat(fakes.get("f").seen()).as("the request reached the provider").hasSize(1);
    caller.interrupt();
    Throwable t = failed.get(20, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(t).isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelCodes.CANCELED));
    assertThat(lastUsage().outcome()).isEqualTo(ModelCodes.CANCELED);

    fakes.get("f").behave(FakeLlm.Behaviour.ANSWER);
    assertThat(invoker.call(chat("agt_all", "f", false, "")).provider()).as("not cooling down").isEqualTo("p-f");
  }

  @Test
  void unknownForeignAndForbiddenModelsAreRefusedBeforeAnythingIsSent() throws Exception {
    assertThatThrownBy(() -> invoker.call(chat("agt_all", "nope", false, "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.status()).isEqualTo(404);
          assertThat(e.code()).isEqualTo(ModelCodes.MODEL_NOT_FOUND);
        });
    assertThatThrownBy(() -> invoker.call(chat("agt_all", "private-b", false, "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo(ModelCodes.MODEL_NOT_FOUND));
    assertThatThrownBy(() -> invoker.call(chat("agt_some", "ab", false, "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.code()).isEqualTo(ModelCodes.MODEL_NOT_ALLOWED);
        });
    assertThat(fakes.values()).allSatisfy(f -> assertThat(f.seen()).isEmpty());
    UsageDao.Row row = lastUsage();
    assertThat(row.outcome()).isEqualTo(ModelCodes.MODEL_NOT_ALLOWED);
    assertThat(row.provider()).isNull();
    assertThat(row.inputTokens() + row.outputTokens()).isZero();
  }

  /** An agent chooses the alias: one the registry does not have must not add series to the metrics. */
  @Test
  void anUnknownAliasIsCountedUnderOneLabelNotByItsName() throws Exception {
    invoker.call(chat("agt_all", "solo", false, ""));
    assertThatThrownBy(() -> invoker.call(chat("agt_some", "ab", false, ""))).isInstanceOf(ModelCallException.class);
    for (int i = 0; i < 3; i++) {
      String alias = "nope-" + i;
      assertThatThrownBy(() -> invoker.call(chat("agt_all", alias, false, ""))).isInstanceOf(ModelCallException.class);
    }

    String[] labels = {"model", "provider", "agent", "outcome"};
    assertThat(metrics.getSampleValue("gatehouse_model_calls_total", labels, new String[] {"(unknown)", "none", "agt_all", ModelCodes.MODEL_NOT_FOUND}))
        .isEqualTo(3.0);
    assertThat(metrics.getSampleValue("gatehouse_model_calls_total", labels, new String[] {"nope-0", "none", "agt_all", ModelCodes.MODEL_NOT_FOUND}))
        .isNull();
    assertThat(metrics.getSampleValue("gatehouse_model_calls_total", labels, new String[] {"ab", "none", "agt_some", ModelCodes.MODEL_NOT_ALLOWED}))
        .as("a registered alias the agent may not use keeps its name")
        .isEqualTo(1.0);
    assertThat(metrics.getSampleValue("gatehouse_model_calls_total", labels, new String[] {"solo", "p-a", "agt_all", "ok"})).isEqualTo(1.0);
    assertThat(lastUsage().model()).as("the usage row keeps what was asked for").isEqualTo("nope-2");
    audit.flush();
    List<dev.gatehouse.registry.audit.AuditDao.Row> rows =
        db.jdbi().withExtension(dev.gatehouse.registry.audit.AuditDao.class, dao -> dao.page("ten_a", "agt_all", "model.call", null, null, null, null, 1));
    assertThat(rows).singleElement().satisfies(r -> {
      assertThat(r.target()).isEqualTo("nope-2");
      assertThat(r.requestId()).as("the audit row names the agent's request").isEqualTo("req-1");
    });
  }

  @Test
  void malformedRequestsAreRefusedBeforeAnythingIsSent() throws Exception {
    ObjectNode body = (ObjectNode) JSON.readTree("{\"model\":\"solo\",\"messages\":\"hi\"}");
    ModelCall call = new ModelCall(ModelCall.Kind.CHAT, Dialect.OPENAI, "solo", body, false, new Caller("ten_a", "agt_all", List.of()), null, "r", null, null, 1);
    assertThatThrownBy(() -> invoker.call(call))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.getMessage()).isEqualTo("'messages' must be an array, not a string");
        });
    assertThat(fakes.get("a").seen()).isEmpty();
  }

  /**
   * Content the request policies cannot read is refused before anything is sent, on every path:
   * a probe's bare strings among the parts, a tool result whose content is an object, a text part
   * whose text is not a string all reached a provider past a PII entry that blocks (the walker read
   * only object parts with a string text). What no provider takes is refused here, whole.
   */
  @Test
  void contentTheRequestPoliciesCannotReadIsRefusedBeforeAnythingIsSent() throws Exception {
    String[][] cases = {
      {"ANTHROPIC", "{\"messages\":[{\"role\":\"user\",\"content\":[\"alice@example.com\"]}]}", "messages[0].content[0]"},
      {"ANTHROPIC", "{\"system\":[\"alice@example.com\"],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "system[0]"},
      {"ANTHROPIC", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"a\","
          + "\"content\":{\"text\":\"alice@example.com\"}}]}]}", "messages[0].content[0].content"},
      {"ANTHROPIC", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"a\","
          + "\"content\":[\"alice@example.com\"]}]}]}", "messages[0].content[0].content[0]"},
      {"ANTHROPIC", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5,\"content\":\"alice@example.com\"}]}]}",
          "messages[0].content[0].text"},
      {"ANTHROPIC", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"text\","
          + "\"data\":[\"alice@example.com\"]}}]}]}", "messages[0].content[0].source.data"},
      {"ANTHROPIC", "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"x\","
          + "\"citations\":[{\"cited_text\":{\"t\":\"alice@example.com\"}}]}]}]}", "messages[0].content[0].citations[0].cited_text"},
      {"ANTHROPIC", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"title\":[\"alice@example.com\"],"
          + "\"source\":{\"type\":\"text\",\"data\":\"d\"}}]}]}", "messages[0].content[0].title"},
      {"ANTHROPIC", "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"mcp_tool_result\",\"tool_use_id\":\"m\","
          + "\"content\":{\"text\":\"alice@example.com\"}}]}]}", "messages[0].content[0].content"},
      {"OPENAI", "{\"messages\":[{\"role\":\"user\",\"content\":[\"alice@example.com\"]}]}", "messages[0].content[0]"},
      {"OPENAI", "{\"messages\":[{\"role\":\"assistant\",\"content\":\"x\",\"reasoning_content\":{\"t\":\"alice@example.com\"}}]}",
          "messages[0].reasoning_content"},
      {"OPENAI", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"prediction\":{\"content\":[7]}}", "prediction.content[0]"},
    };
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    raw.script(out -> {
      sent.incrementAndGet();
      RawLlm.write(out, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    });
    for (String[] c : cases) {
      // Each dialect to a provider of its own: nothing is translated, so only this step stands in the way.
      Dialect dialect = Dialect.valueOf(c[0]);
      String alias = dialect == Dialect.ANTHROPIC ? "raw-anthropic" : "solo";
      ObjectNode body = (ObjectNode) JSON.readTree(c[1]);
      body.put("model", alias);
      ModelCall call = new ModelCall(ModelCall.Kind.CHAT, dialect, alias, body, false, new Caller("ten_a", "agt_all", List.of()), null, "r", null, null, 1);
      assertThatThrownBy(() -> invoker.call(call))
          .as(c[1])
          .isInstanceOfSatisfying(ModelCallException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.code()).isEqualTo(ModelCodes.INVALID_REQUEST);
            assertThat(e.param()).isEqualTo(c[2]);
          });
    }
    // What the policies read is still taken: parts, nested tool results, documents, citations.
    ObjectNode fine = (ObjectNode) JSON.readTree("{\"model\":\"solo\",\"system\":[{\"type\":\"text\",\"text\":\"s\"}],\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"hi\"},{\"type\":\"tool_result\",\"tool_use_id\":\"a\",\"content\":[{\"type\":\"text\",\"text\":\"r\"}]},"
        + "{\"type\":\"document\",\"source\":{\"type\":\"text\",\"data\":\"d\"},\"context\":\"c\"},{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"u\"}}]}]}");
    assertThat(ValidateModelRequest.problem(
        new ModelCall(ModelCall.Kind.CHAT, Dialect.ANTHROPIC, "solo", fine, false, new Caller("ten_a", "agt_all", List.of()), null, "r", null, null, 1)))
        .isNull();
    assertThat(fakes.get("a").seen()).isEmpty();
    assertThat(sent.get()).as("nothing reached the Anthropic provider").isZero();
  }

  @Test
  void theModelsAnAgentMayUseAreListed() {
    Agent some = db.jdbi().onDemand(AgentDao.class).find("agt_some").orElseThrow();
    assertThat(invoker.models(some, List.of())).extracting(ModelDefinition::name).containsExactly("solo");
    Agent all = db.jdbi().onDemand(AgentDao.class).find("agt_all").orElseThrow();
    assertThat(invoker.models(all, List.of())).extracting(ModelDefinition::name).doesNotContain("private-b").contains("ab", "de", "solo");
  }

  @Test
  void aStreamIsRelayedEventByEventAndTheUsageChunkIsNotShownUnlessAskedFor() {
    Collecting sink = new Collecting();
    ModelAnswer a = invoker.stream(chat("agt_all", "solo", true, ""), sink);

    assertThat(sink.opened).isTrue();
    assertThat(sink.events).hasSize(5); // 3 content chunks, the finish chunk, [DONE]; not the usage chunk
    assertThat(sink.events.get(sink.events.size() - 1)).isEqualTo("[DONE]");
    assertThat(a.usage()).isEqualTo(new ModelUsage(11, 0, 3, 0, false));
    assertThat(a.timeToFirstTokenMs()).isNotNull();
    assertThat(fakes.get("a").seen().get(0).body()).contains("\"include_usage\":true");
  }

  /**
   * Events that came in together leave in one flush, and all that came in is flushed before the
   * relay waits for more: the provider sends three events in one write, and the rest only once
   * the client's sink was flushed. (httpcore5's {@code available()} says 0 at the end of each
   * chunk, and a relay that asked it flushed every event on its own: a write and a system call
   * each, 8 per call of the llm-bench stream where 1 is enough.)
   */
  @Test
  void eventsThatCameInTogetherLeaveTogetherAndNoneWaitsForTheNext() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    CountDownLatch flushed = new CountDownLatch(1);
    AtomicBoolean restAfterFlush = new AtomicBoolean();
    raw.script(
        out -> {
          RawLlm.write(out, RawLlm.STREAM_HEAD + RawLlm.chunk(RawLlm.event("Hel", null)) + RawLlm.chunk(RawLlm.event("lo", null))
              + RawLlm.chunk(RawLlm.event(" there", null)));
          restAfterFlush.set(flushed.await(10, TimeUnit.SECONDS));
          RawLlm.write(out, RawLlm.chunk(RawLlm.event(null, "stop")) + RawLlm.chunk("data: [DONE]\n\n") + "0\r\n\r\n");
        });
    StreamSink sink =
        new StreamSink() {
          @Override
          public void open() {}

          @Override
          public void event(String name, String data) {
            log.add(data.equals("[DONE]") ? data : parse(data).path("choices").path(0).path("delta").path("content").asText("end"));
          }

          @Override
          public void flush() {
            log.add("flush");
            flushed.countDown();
          }
        };
    ModelAnswer a = invoker.stream(chat("agt_all", "raw", true, ""), sink);

    assertThat(a.provider()).isEqualTo("p-raw");
    assertThat(log).containsExactly("Hel", "lo", " there", "flush", "end", "[DONE]");
    assertThat(restAfterFlush).as("the events that came in were flushed before the relay waited for more").isTrue();
  }

  /** A flush that finds the client gone (it runs before the relay waits for the provider) ends the stream as the client's doing. */
  @Test
  void aClientGoneAtAFlushEndsTheStreamAsClosedByTheClient() throws Exception {
    CountDownLatch abandoned = new CountDownLatch(1);
    raw.script(
        out -> {
          RawLlm.write(out, RawLlm.STREAM_HEAD + RawLlm.chunk(RawLlm.event("Hel", null)));
          try {
            for (int i = 0; i < 200; i++) {
              Thread.sleep(20);
              RawLlm.write(out, RawLlm.chunk(RawLlm.event("lo", null)));
            }
          } catch (IOException e) {
            abandoned.countDown(); // the relay closed the connection
            throw e;
          }
        });
    List<String> events = new CopyOnWriteArrayList<>();
    StreamSink sink =
        new StreamSink() {
          @Override
          public void open() {}

          @Override
          public void event(String name, String data) {
            events.add(data);
          }

          @Override
          public void flush() throws IOException {
            throw new IOException("client went away");
          }
        };
    long start = System.nanoTime();
    ModelAnswer a = invoker.stream(chat("agt_all", "raw", true, ""), sink);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3)); // 200 events x 20 ms were not waited for
    assertThat(events).hasSize(1);
    assertThat(a.usage().estimated()).isTrue();
    assertThat(abandoned.await(10, TimeUnit.SECONDS)).as("the upstream request was abandoned").isTrue();
    assertThat(lastUsage().outcome()).isEqualTo(ModelExchange.CLIENT_CLOSED);
    assertThat(lastAudit().outcome()).as("the audit row says how the call ended, as the usage row does").isEqualTo(ModelExchange.CLIENT_CLOSED);
  }

  /** What reaches the client, in order: "event", "[DONE]", "keep-alive"; events {@code held} reach no one (and are not written). */
  private static final class KeepAliveLog implements StreamSink {
    final List<String> log = new CopyOnWriteArrayList<>();
    private final java.util.function.Predicate<String> held;
    private volatile long written;

    KeepAliveLog(java.util.function.Predicate<String> held) {
      this.held = held;
    }

    @Override
    public void open() {}

    @Override
    public void event(String name, String data) {
      if (!held.test(data)) {
        log.add(data.startsWith("[DONE]") ? "[DONE]" : "event");
        written++;
      }
    }

    @Override
    public void keepAlive() {
      log.add("keep-alive");
      written++;
    }

    @Override
    public long written() {
      return written;
    }
  }

  /** An invoker whose streams get a keep-alive after {@code every} without a write to the client. */
  private static ModelInvoker keepingAliveEvery(Duration every) {
    return new ModelInvoker(
        db.jdbi(),
        new UpstreamCredentials(secrets, Clock.systemUTC()),
        new GatehouseMetrics(new CollectorRegistry()),
        audit,
        usage,
        new ModelRoutingSettings(3, Duration.ofSeconds(30), Duration.ofSeconds(2), 1 << 20, 1 << 20, Duration.ZERO,
            ModelRoutingSettings.DEFAULT_MAX_STREAM_DURATION, every),
        new PolicyCatalog(db.jdbi(), Duration.ZERO),
        new BudgetLedger(db.jdbi(), BudgetLedger.DEFAULT_RESERVATION_TTL, null));
  }

  /**
   * While the provider is quiet (a model thinking before it answers, before its first event or
   * between two) the client's stream gets keep-alive comments: a proxy between them closed
   * connections idle for a minute, and the client never heard the answer.
   */
  @Test
  void aQuietProvidersClientGetsKeepAlivesBeforeItsFirstEventAndBetween() throws Exception {
    raw.script(
        out -> {
          RawLlm.write(out, RawLlm.STREAM_HEAD);
          Thread.sleep(1000); // under the provider's 1.5 s timeout
          RawLlm.write(out, RawLlm.chunk(RawLlm.event("Thinking", null)));
          Thread.sleep(1000);
          RawLlm.write(out, RawLlm.chunk(RawLlm.event(" done", "stop")) + RawLlm.chunk("data: [DONE]\n\n") + "0\r\n\r\n");
        });
    invoker.close();
    invoker = keepingAliveEvery(Duration.ofMillis(200));
    KeepAliveLog sink = new KeepAliveLog(data -> false);
    List<String> log = sink.log;

    invoker.stream(chat("agt_all", "raw", true, ""), sink);

    int first = log.indexOf("event");
    assertThat(log.subList(0, first)).as(log.toString()).hasSizeGreaterThanOrEqualTo(2).containsOnly("keep-alive");
    assertThat(log.subList(first + 1, log.size() - 2)).as(log.toString()).hasSizeGreaterThanOrEqualTo(2).containsOnly("keep-alive");
    assertThat(log.subList(log.size() - 2, log.size())).containsExactly("event", "[DONE]");
    assertThat(lastUsage().outcome()).isEqualTo("ok");
  }

  /**
   * A keep-alive commits the stream: a provider that breaks after one was sent ends the client's
   * stream with an error event, where one that breaks sooner is fallen back from.
   */
  @Test
  void aStreamAKeepAliveOpenedNoLongerFallsBack() throws Exception {
    raw.script(
        out -> {
          RawLlm.write(out, RawLlm.STREAM_HEAD);
          Thread.sleep(700);
          throw new IOException("the provider breaks off before its first event"); // the connection is closed
        });
    invoker.close();
    invoker = keepingAliveEvery(Duration.ofMillis(200));
    KeepAliveLog sink = new KeepAliveLog(data -> false);

    invoker.stream(chat("agt_all", "raw-then-b", true, ""), sink);

    assertThat(sink.log).as(sink.log.toString()).startsWith("keep-alive").contains("event");
    assertThat(lastUsage().outcome()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
    assertThat(lastUsage().provider()).isEqualTo("p-raw");
    assertThat(lastUsage().ttftMs()).as("no event of the provider's: the error event is Gatehouse's").isNull();

    invoker.close();
    invoker = keepingAliveEvery(Duration.ofSeconds(30));
    KeepAliveLog fellBack = new KeepAliveLog(data -> false);
    invoker.stream(chat("agt_all", "raw-then-b", true, ""), fellBack);
    assertThat(fellBack.log).as(fellBack.log.toString()).doesNotContain("keep-alive").endsWith("[DONE]");
    assertThat(lastUsage().provider()).isNotEqualTo("p-raw");
  }

  /** A chunk of calls as a server that sends no {@code index} writes them (Gemini's OpenAI-compatible endpoint). */
  private static String callsChunk(String calls, String finish) {
    return RawLlm.chunk("data: {\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-raw\","
        + "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":" + calls + "},\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n");
  }

  /**
   * Tool calls streamed without an {@code index} are given one: the OpenAI SDKs' stream helpers
   * fail on such calls ("invalid tool call index"), or merge parallel ones. A call with an id
   * other than the last one's is the next; a fragment without an id continues the last. Chunks
   * whose calls have their index go on as they came.
   */
  @Test
  void streamedToolCallsWithoutAnIndexAreGivenOne() throws Exception {
    String indexed = "[{\"index\":0,\"id\":\"call_x\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]";
    raw.script(
        out -> RawLlm.write(out, RawLlm.STREAM_HEAD
            + callsChunk("[{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\"}}]", null)
            + callsChunk("[{\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]", null)
            + callsChunk("[{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}}]", "tool_calls")
            + RawLlm.chunk("data: [DONE]\n\n") + "0\r\n\r\n"));
    Collecting sink = new Collecting();
    invoker.stream(chat("agt_all", "raw", true, ""), sink);

    List<JsonNode> calls = new ArrayList<>();
    for (String e : sink.events) {
      if (!e.equals("[DONE]")) {
        JSON.readTree(e).at("/choices/0/delta/tool_calls").forEach(calls::add);
      }
    }
    assertThat(calls).extracting(c -> c.path("index").asInt(-1)).containsExactly(0, 0, 1);
    assertThat(calls.get(1).at("/function/arguments").asText()).isEqualTo("\"Paris\"}");
    assertThat(calls.get(2).path("id").asText()).isEqualTo("call_b");

    raw.script(
        out -> RawLlm.write(out, RawLlm.STREAM_HEAD + callsChunk(indexed, "tool_calls") + RawLlm.chunk("data: [DONE]\n\n") + "0\r\n\r\n"));
    Collecting same = new Collecting();
    invoker.stream(chat("agt_all", "raw", true, ""), same);
    String sent = callsChunk(indexed, "tool_calls");
    assertThat(same.events.get(0)).as("as it came").isEqualTo(sent.substring(sent.indexOf("data: ") + 6, sent.lastIndexOf("\n\n\r\n")));
  }

  /**
   * Events a policy holds back (a tool call's arguments, until the call is whole) reach no one:
   * the client still gets keep-alives while they flow (a probe's 12 s call, one fragment a second,
   * kept the client's stream silent all along).
   */
  @Test
  void eventsThatReachNoOneKeepNothingAlive() throws Exception {
    raw.script(
        out -> {
          RawLlm.write(out, RawLlm.STREAM_HEAD + RawLlm.chunk(RawLlm.event("Calling", null)));
          for (int i = 0; i < 12; i++) {
            Thread.sleep(100);
            RawLlm.write(out, RawLlm.chunk(RawLlm.event("held", null)));
          }
          RawLlm.write(out, RawLlm.chunk(RawLlm.event(".", "stop")) + RawLlm.chunk("data: [DONE]\n\n") + "0\r\n\r\n");
        });
    invoker.close();
    invoker = keepingAliveEvery(Duration.ofMillis(250));
    KeepAliveLog sink = new KeepAliveLog(data -> data.contains("held")); // as a policy holding what it cannot read yet
    List<String> log = sink.log;

    invoker.stream(chat("agt_all", "raw", true, ""), sink);

    assertThat(log).as(log.toString()).startsWith("event").contains("keep-alive");
    assertThat(log.stream().filter("keep-alive"::equals).count()).as(log.toString()).isGreaterThanOrEqualTo(2);
  }

  /**
   * A client that leaves while the provider is quiet is found by a keep-alive, and the upstream
   * request is abandoned then: it was held until the provider sent again or timed out, and the
   * call was recorded as the provider's timeout.
   */
  @Test
  void aClientGoneWhileTheProviderIsQuietIsFoundByAKeepAlive() throws Exception {
    CountDownLatch abandoned = new CountDownLatch(1);
    raw.script(
        out -> {
          RawLlm.write(out, RawLlm.STREAM_HEAD + RawLlm.chunk(RawLlm.event("Thinking", null)));
          try {
            for (int i = 0; i < 100; i++) {
              Thread.sleep(50);
              RawLlm.write(out, RawLlm.chunk(": still thinking\n\n")); // a comment: not an event, nothing to relay
            }
          } catch (IOException e) {
            abandoned.countDown();
            throw e;
          }
        });
    invoker.close();
    invoker = keepingAliveEvery(Duration.ofMillis(200));
    Collecting sink =
        new Collecting() {
          @Override
          public void keepAlive() throws IOException {
            throw new IOException("client went away");
          }
        };

    ModelAnswer a = invoker.stream(chat("agt_all", "raw", true, ""), sink);

    assertThat(abandoned.await(10, TimeUnit.SECONDS)).as("the upstream request was abandoned").isTrue();
    assertThat(sink.events).hasSize(1);
    assertThat(a.usage().estimated()).isTrue();
    assertThat(lastUsage().outcome()).isEqualTo(ModelExchange.CLIENT_CLOSED);
    assertThat(lastAudit().outcome()).isEqualTo(ModelExchange.CLIENT_CLOSED);
  }

  /**
   * A provider that answers with something that is not HTTP, made of the Authorization header it
   * received (a malformed status line, protocol or header line, a bad chunk header mid-stream):
   * the HTTP client's message quotes those bytes, and the provider's key reached the agent in the
   * failure's message. Neither the agent's error, nor the usage row, nor a log line holds it now.
   */
  @Test
  void aProviderThatEchoesItsKeyInAnAnswerThatIsNotHttpDoesNotLeakIt() throws Exception {
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs = new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logs);
    try {
      List<RawLlm.Script> echoes =
          List.of(
              out -> RawLlm.write(out, "HTTP/1.1 2000 " + raw.lastHeader("Authorization") + "\r\nContent-Length: 2\r\n\r\n{}"),
              out -> RawLlm.write(out, raw.lastHeader("Authorization") + " 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
              out -> RawLlm.write(out, "HTTP/1.1 200 OK\r\nX-Echo " + raw.lastHeader("Authorization") + "\r\nContent-Length: 2\r\n\r\n{}"));
      for (RawLlm.Script echo : echoes) {
        raw.script(echo);
        invoker.close(); // a new invoker each time: no cool-down carried from one echo to the next

        invoker = newInvoker();
        assertThatThrownBy(() -> invoker.call(chat("agt_all", "raw-keyed", false, "")))
            .isInstanceOfSatisfying(
                ModelCallException.class,
                e -> {
                  assertThat(raw.lastHeader("Authorization")).as("the provider got the key").isEqualTo("Bearer " + PROVIDER_KEY);
                  assertThat(e.status()).isEqualTo(503);
                  assertThat(e.getMessage()).contains("not valid HTTP").doesNotContain(PROVIDER_KEY.substring(3));
                });
        assertThat(lastUsage().toString()).doesNotContain(PROVIDER_KEY.substring(3));
      }

      // Mid-stream: a chunk header made of the key ends the stream with an error event that does not hold it.
      raw.script(
          out -> {
            RawLlm.write(out, RawLlm.STREAM_HEAD + RawLlm.chunk(RawLlm.event("Hel", null)));
            Thread.sleep(100);
            RawLlm.write(out, raw.lastHeader("Authorization") + "\r\n");
          });
      Collecting sink = new Collecting();
      invoker.stream(chat("agt_all", "raw-keyed", true, ""), sink);
      assertThat(sink.events.get(0)).contains("Hel");
      assertThat(String.join("\n", sink.events)).contains("upstream_error").contains("not valid HTTP").doesNotContain(PROVIDER_KEY.substring(3));
      assertThat(lastUsage().toString()).doesNotContain(PROVIDER_KEY.substring(3));
    } finally {
      root.detachAppender(logs);
    }
    for (ch.qos.logback.classic.spi.ILoggingEvent event : logs.list) {
      String line = event.getFormattedMessage()
          + (event.getThrowableProxy() == null ? "" : ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(event.getThrowableProxy()));
      assertThat(line).doesNotContain(PROVIDER_KEY.substring(3));
    }
  }

  /** A raw provider's whole 200 answer with JSON {@code body}. */
  private static RawLlm.Script json200(String body) {
    return out -> RawLlm.write(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
            + "\r\n\r\n" + body);
  }

  private static ModelCall anthropicChat(String alias, boolean stream) {
    try {
      ObjectNode body =
          (ObjectNode) JSON.readTree("{\"model\":\"" + alias + "\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
              + (stream ? ",\"stream\":true" : "") + "}");
      return new ModelCall(ModelCall.Kind.CHAT, Dialect.ANTHROPIC, alias, body, stream, new Caller("ten_a", "agt_all", List.of()), null, "req-1", null, null, 1);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /**
   * A 200 that is an error, or not an answer at all, from a provider of the caller's own dialect
   * (passed through untranslated) is a bad answer like a translated one: it falls back, and with
   * nothing left it is 502 upstream_error. It was relayed as the answer, its usage row "ok".
   */
  @Test
  void aSameDialect200ThatIsNotAnAnswerIsABadAnswer() throws Exception {
    raw.script(json200("{\"error\":{\"message\":\"upstream exploded\"}}"));
    ModelAnswer a = invoker.call(chat("agt_all", "raw-then-b", false, ""));
    assertThat(a.provider()).as("fell back").isEqualTo("p-b");
    assertThat(fakes.get("b").seen()).hasSize(1);
    // The audit row says so, and how the first target failed, without its words.
    assertThat(lastAudit().detail()).startsWith("attempt 1; answered by p-b/pm-p-b after p-raw/pm-p-raw (bad_answer 200)")
        .doesNotContain("exploded");

    for (String notAnAnswer : List.of("{\"error\":{\"message\":\"upstream exploded\"}}", "{}", "{\"choices\":[],\"error\":{\"type\":\"server_error\"}}")) {
      raw.script(json200(notAnAnswer));
      invoker.close();
      invoker = newInvoker();
      assertThatThrownBy(() -> invoker.call(chat("agt_all", "raw", false, "")))
          .as(notAnAnswer)
          .isInstanceOfSatisfying(ModelCallException.class, e -> {
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
            assertThat(e.getMessage()).doesNotContain("upstream exploded");
          });
      assertThat(lastUsage().outcome()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
    }

    for (String notAMessage : List.of("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}", "{}")) {
      raw.script(json200(notAMessage));
      invoker.close();
      invoker = newInvoker();
      assertThatThrownBy(() -> invoker.call(anthropicChat("raw-anthropic", false)))
          .as(notAMessage)
          .isInstanceOfSatisfying(ModelCallException.class, e -> {
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.code()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
          });
    }

    // A real answer of each passes as it came.
    raw.script(json200("{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"yo\"}],"
        + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}"));
    assertThat(invoker.call(anthropicChat("raw-anthropic", false)).body().path("content").path(0).path("text").asText()).isEqualTo("yo");
  }

  /**
   * A usage whose counts are not counts (negative, fractional) is no usage: the call is estimated
   * from its text, as when usage is missing. Negative counts were taken as 0, and the call was free.
   */
  @Test
  void aUsageWithCountsThatAreNotCountsIsEstimated() throws Exception {
    String text = "word ".repeat(400);
    for (String usage : List.of(
        "{\"prompt_tokens\":-1000000,\"completion_tokens\":-5,\"total_tokens\":-1000005}",
        "{\"prompt_tokens\":10,\"completion_tokens\":0.5,\"total_tokens\":10.5}")) {
      raw.script(json200("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"" + text + "\"},\"finish_reason\":\"stop\"}],\"usage\":" + usage + "}"));
      ModelAnswer a = invoker.call(chat("agt_all", "raw", false, ""));
      assertThat(a.usage().estimated()).as(usage).isTrue();
      assertThat(a.usage().outputTokens()).as(usage).isGreaterThanOrEqualTo(300);
      assertThat(a.usage().inputTokens()).as(usage).isPositive();
      UsageDao.Row row = lastUsage();
      assertThat(row.estimated()).isTrue();
      assertThat(row.outputTokens()).isGreaterThanOrEqualTo(300);
    }
    // Anthropic's counts likewise.
    raw.script(json200("{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"" + text
        + "\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":-7,\"output_tokens\":-9}}"));
    ModelAnswer a = invoker.call(anthropicChat("raw-anthropic", false));
    assertThat(a.usage().estimated()).isTrue();
    assertThat(a.usage().outputTokens()).isGreaterThanOrEqualTo(300);
  }

  /**
   * Keep-alive comments and empty events are not the provider's activity: a stream that sends one
   * chunk and then only {@code : ping} is ended by its provider's timeout (1.5 s here) with a
   * {@code timed_out} error event. Every read counted, and it held the request thread, its slot and
   * its budget reservation until the provider closed it.
   */
  @Test
  void aStreamOfKeepAlivesAloneEndsAtTheProvidersTimeout() throws Exception {
    raw.script(
        out -> {
          RawLlm.write(out, RawLlm.STREAM_HEAD + RawLlm.chunk(RawLlm.event("Hel", null)));
          for (int i = 0; i < 100; i++) {
            Thread.sleep(100);
            RawLlm.write(out, RawLlm.chunk(i % 2 == 0 ? ": ping\n\n" : "event: ping\n\n"));
          }
        });
    Collecting sink = new Collecting();
    long start = System.nanoTime();
    ModelAnswer a = invoker.stream(chat("agt_all", "raw", true, ""), sink);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(5));
    assertThat(sink.events.get(0)).contains("Hel");
    assertThat(String.join("\n", sink.events)).contains("timed_out");
    assertThat(a.usage().estimated()).isTrue();
    assertThat(lastUsage().outcome()).isEqualTo(ModelCodes.TIMED_OUT);
  }

  /**
   * A stream lasts {@code maxStreamDuration} at most, however busy: a provider that trickles events
   * for ever is ended then with a {@code timed_out} error event.
   */
  @Test
  void aStreamIsEndedAtItsLongestDuration() throws Exception {
    raw.script(
        out -> {
          RawLlm.write(out, RawLlm.STREAM_HEAD);
          for (int i = 0; i < 100; i++) {
            RawLlm.write(out, RawLlm.chunk(RawLlm.event("w" + i, null)));
            Thread.sleep(100);
          }
        });
    invoker.close();
    invoker =
        new ModelInvoker(
            db.jdbi(),
            new UpstreamCredentials(secrets, Clock.systemUTC()),
            new GatehouseMetrics(new CollectorRegistry()),
            audit,
            usage,
            new ModelRoutingSettings(3, Duration.ofSeconds(30), Duration.ofSeconds(2), 1 << 20, 1 << 20, Duration.ZERO, Duration.ofMillis(1200)),
            new PolicyCatalog(db.jdbi(), Duration.ZERO),
            new BudgetLedger(db.jdbi(), BudgetLedger.DEFAULT_RESERVATION_TTL, null));
    Collecting sink = new Collecting();
    long start = System.nanoTime();
    invoker.stream(chat("agt_all", "raw", true, ""), sink);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1100), Duration.ofSeconds(5));
    assertThat(sink.events.size()).isBetween(5, 30);
    assertThat(String.join("\n", sink.events)).contains("timed_out").contains("went on for more than 1200 ms");
    assertThat(lastUsage().outcome()).isEqualTo(ModelCodes.TIMED_OUT);
  }

  /** An Anthropic stream event, as a chunk. */
  private static String anthropicEvent(String name, String data) {
    return RawLlm.chunk("event: " + name + "\ndata: " + data + "\n\n");
  }

  private static final String MESSAGE_START =
      "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],"
          + "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}";

  /**
   * An Anthropic event whose type is not a plain name (a line break in it) ends the stream as the
   * provider's failure: an error event, outcome upstream_error. It was used as the relayed event's
   * name, the encoder refused it, and the stream was cut silently as if the client had left.
   */
  @Test
  void anAnthropicEventTypeThatIsNotAPlainNameIsAnUpstreamError() throws Exception {
    raw.script(
        out -> RawLlm.write(out, RawLlm.STREAM_HEAD + anthropicEvent("message_start", MESSAGE_START)
            + anthropicEvent("content_block_start", "{\"type\":\"content_block_start\\nevil\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
            + "0\r\n\r\n"));
    List<String> names = new CopyOnWriteArrayList<>();
    List<String> datas = new CopyOnWriteArrayList<>();
    StreamSink sink =
        new StreamSink() {
          @Override
          public void open() {}

          @Override
          public void event(String name, String data) {
            if (name != null && (name.contains("\n") || name.contains("\r"))) {
              throw new IllegalArgumentException("an event name with a line break"); // as the faces' encoder does
            }
            names.add(name);
            datas.add(data);
          }
        };
    invoker.stream(anthropicChat("raw-anthropic", true), sink);
    assertThat(names).containsExactly("message_start", "error");
    assertThat(datas.get(1)).contains("upstream_error").contains("not a plain name");
    assertThat(lastUsage().outcome()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
    // It was "ok" in the audit row: the chain had returned when the stream broke.
    assertThat(lastAudit().outcome()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
    assertThat(lastAudit().decision()).isEqualTo("allow");

    // A sink that refuses an event (IllegalArgumentException) is not the client leaving either.
    raw.script(
        out -> RawLlm.write(out, RawLlm.STREAM_HEAD + anthropicEvent("message_start", MESSAGE_START)
            + anthropicEvent("ping", "{\"type\":\"ping\"}") + "0\r\n\r\n"));
    List<String> kept = new CopyOnWriteArrayList<>();
    invoker.stream(
        anthropicChat("raw-anthropic", true),
        new StreamSink() {
          @Override
          public void open() {}

          @Override
          public void event(String name, String data) {
            if ("ping".equals(name)) {
              throw new IllegalArgumentException("refused");
            }
            kept.add(name);
          }
        });
    assertThat(kept).containsExactly("message_start", "error");
    assertThat(lastUsage().outcome()).isEqualTo(ModelCodes.UPSTREAM_ERROR);
  }

  private static com.fasterxml.jackson.databind.JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void aStreamThatEndsBeforeItsFirstEventFallsBack() {
    fakes.get("c").behave(FakeLlm.Behaviour.RESET_BEFORE_FIRST);
    Collecting sink = new Collecting();
    ModelAnswer a = invoker.stream(chat("agt_all", "ab", true, ""), sink);
    assertThat(a.provider()).isEqualTo("p-b");
    assertThat(sink.events.get(0)).contains("m-b").contains("w0");
  }

  @Test
  void aStreamThatBreaksMidwayEndsWithAnErrorEventAndDoesNotFallBack() {
    fakes.get("c").behave(FakeLlm.Behaviour.RESET_MIDWAY);
    Collecting sink = new Collecting();
    ModelAnswer a = invoker.stream(chat("agt_all", "ab", true, ""), sink);

    assertThat(a.provider()).isEqualTo("p-c");
    assertThat(sink.events).hasSize(3);
    assertThat(sink.events.get(2)).contains("\"error\"").contains("upstream_error");
    assertThat(a.usage().estimated()).isTrue();
    assertThat(fakes.get("b").seen()).isEmpty();
  }

  @Test
  void aClientThatLeavesMidStreamCancelsTheUpstreamRequest() throws Exception {
    fakes.get("f").behave(FakeLlm.Behaviour.SLOW_STREAM);
    Collecting sink = new Collecting();
    sink.failAfter = 3;
    long start = System.nanoTime();
    ModelAnswer a = invoker.stream(chat("agt_all", "f", true, ""), sink);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3)); // 200 chunks x 20 ms were not waited for
    assertThat(a.usage().estimated()).isTrue();
    assertThat(a.usage().outputTokens()).isPositive();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (fakes.get("f").abandoned.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(fakes.get("f").abandoned.get()).isEqualTo(1);
    UsageDao.Row row = lastUsage();
    assertThat(row.outcome()).isEqualTo(ModelExchange.CLIENT_CLOSED);
    assertThat(row.estimated()).isTrue();
    assertThat(row.stream()).isTrue();
    assertThat(row.outputTokens()).isPositive();
  }

  @Test
  void targetsAreChosenInProportionToTheirWeights() {
    List<ModelDefinition.Target> targets = List.of(new ModelDefinition.Target("x", "m", 3), new ModelDefinition.Target("y", "m", 1));
    int x = 0;
    int n = 4000;
    for (int i = 0; i < n; i++) {
      if (ModelRouter.order(targets).get(0).provider().equals("x")) {
        x++;
      }
    }
    assertThat((double) x / n).isBetween(0.70, 0.80);
    List<String> seenFirst = new ArrayList<>();
    for (int i = 0; i < 200 && seenFirst.size() < 2; i++) {
      String p = ModelRouter.order(targets).get(0).provider();
      if (!seenFirst.contains(p)) {
        seenFirst.add(p);
      }
    }
    assertThat(seenFirst).containsExactlyInAnyOrder("x", "y");
  }

  @Test
  void backoffGrowsAndIsJitteredWithinItsBounds() {
    RetrySpec r = new RetrySpec(5, Duration.ofMillis(100), 2.0, Duration.ofMillis(300));
    for (int i = 0; i < 100; i++) {
      assertThat(ModelRouter.backoff(r, 1)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
      assertThat(ModelRouter.backoff(r, 2)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
      assertThat(ModelRouter.backoff(r, 5)).isBetween(Duration.ofMillis(150), Duration.ofMillis(300));
    }
  }
}
