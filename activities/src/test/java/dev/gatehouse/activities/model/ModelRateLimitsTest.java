package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.ApplyRateLimits;
import dev.gatehouse.activities.policy.BudgetLedger;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.policy.RateLimitStatus;
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
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition.AppliesTo;
import dev.gatehouse.registry.policies.PolicyDefinition.RateLimit;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import dev.gatehouse.workflows.tool.Caller;
import io.prometheus.client.CollectorRegistry;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rate-limit step in the model chain as ModelInvoker assembles it: policies in PostgreSQL read
 * through a real {@link PolicyCatalog}, buckets in PostgreSQL, a FAKE provider on loopback.
 * Requests per minute per agent and per tenant, tokens per minute reserved at the worst case and
 * settled to the usage, a refused call's other takes given back, and a changed limit that keeps
 * its counts.
 */
class ModelRateLimitsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestDatabase db;
  private static AuditLog audit;
  private static UsageLog usage;
  private static FakeLlm fake;
  private static PolicyDao policies;
  private ModelInvoker invoker;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    fake = FakeLlm.start("a");
    db.jdbi().useExtension(TenantDao.class, t -> t.insert("ten_a", "a"));
    db.jdbi().onDemand(ProviderDao.class)
        .insert(new ProviderDefinition("p-a", null, ProviderDefinition.OPENAI, fake.baseUrl(), null, Duration.ofMillis(1500), Map.of()));
    ModelDao models = db.jdbi().onDemand(ModelDao.class);
    RetrySpec once = new RetrySpec(1, Duration.ofMillis(5), 2.0, Duration.ofMillis(5));
    for (String m : List.of("m-agent", "m-tenant", "m-tokens", "m-two", "m-edit", "m-free")) {
      models.insert(new ModelDefinition(m, null, List.of(new ModelDefinition.Target("p-a", "pm", 1)), List.of(), once, null, null, 300));
    }
    AgentDao agents = db.jdbi().onDemand(AgentDao.class);
    for (String a : List.of("agt_x", "agt_y", "agt_z")) {
      agents.insert(new Agent(a, "ten_a", a, null, new Permissions(null, new AccessList(List.of("*"), List.of()), null), null, null));
    }
    policies = db.jdbi().onDemand(PolicyDao.class);
    policies.insert(limit("per-agent", "m-agent", 3, null, "agent"));
    policies.insert(limit("per-tenant", "m-tenant", 2, null, "tenant"));
    policies.insert(limit("tokens", "m-tokens", null, 1000, "agent"));
    models.insert(new ModelDefinition("m-tokens-open", null, List.of(new ModelDefinition.Target("p-a", "pm", 1)), List.of(), once, null, null, null));
    // 100 a minute: the first call's 18 tokens take 11 s to refill, so the second call finds the
    // bucket short however slowly the machine runs (with 1,000, a second sufficed).
    policies.insert(limit("tokens-open", "m-tokens-open", null, 100, "agent"));
    policies.insert(limit("two-a-wide", "m-two", 10, null, "agent"));
    policies.insert(limit("two-b-narrow", "m-two", 1, null, "agent"));
    policies.insert(limit("edited", "m-edit", 2, null, "agent"));
    audit = new AuditLog(db.jdbi(), 100, Duration.ofMillis(10));
    usage = new UsageLog(db.jdbi(), 1000, Duration.ofMillis(10));
  }

  static PolicyDefinition limit(String name, String model, Integer rpm, Integer tpm, String per) {
    return new PolicyDefinition(
        name, "ten_a", PolicyDefinition.RATE_LIMIT, new AppliesTo(null, null, List.of(model)), new RateLimit(rpm, tpm, per), null, null, null, null);
  }

  @AfterAll
  static void stop() throws Exception {
    usage.close();
    audit.close();
    fake.close();
    db.close();
  }

  @BeforeEach
  void newInvoker() {
    fake.reset();
    invoker =
        new ModelInvoker(
            db.jdbi(),
            new UpstreamCredentials(null, Clock.systemUTC()),
            new GatehouseMetrics(new CollectorRegistry()),
            audit,
            usage,
            new ModelRoutingSettings(3, Duration.ofSeconds(30), Duration.ofSeconds(2), 1 << 20, 1 << 20, Duration.ZERO),
            new PolicyCatalog(db.jdbi(), Duration.ZERO),
            new BudgetLedger(db.jdbi(), BudgetLedger.DEFAULT_RESERVATION_TTL, null));
  }

  @AfterEach
  void closeInvoker() {
    invoker.close();
  }

  private static ModelCall chat(String agent, String alias, String extra) {
    try {
      ObjectNode body =
          (ObjectNode) JSON.readTree("{\"model\":\"" + alias + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + extra + "}");
      return new ModelCall(ModelCall.Kind.CHAT, Dialect.OPENAI, alias, body, false, new Caller("ten_a", agent, List.of()), null, "req-1", null, null, 1);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static double bucket(String key) {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT tokens FROM rate_buckets WHERE key = :k").bind("k", key).mapTo(Double.class).one());
  }

  private static int buckets() {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM rate_buckets").mapTo(Integer.class).one());
  }

  @Test
  void requestsPerMinutePerAgentAdmitTheLimitThenRefuseWithTheWaitAndTheHeadersStatus() {
    List<RateLimitStatus> heard = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 3; i++) {
      assertThat(invoker.call(chat("agt_x", "m-agent", ""), heard::add).body()).isNotNull();
    }
    assertThat(heard).extracting(s -> s.requests().remaining()).containsExactly(2L, 1L, 0L);
    assertThat(heard.get(0).requests().limit()).isEqualTo(3);
    assertThat(heard.get(0).requests().policy()).isEqualTo("per-agent@1");
    assertThat(heard.get(2).requests().reset()).isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
    assertThat(heard.get(0).tokens()).as("no tokens limit governs").isNull();

    int sent = fake.seen().size();
    assertThatThrownBy(() -> invoker.call(chat("agt_x", "m-agent", ""), heard::add))
        .isInstanceOfSatisfying(
            ModelCallException.class,
            e -> {
              assertThat(e.code()).isEqualTo("rate_limited");
              assertThat(e.status()).isEqualTo(429);
              assertThat(e.retryable()).isTrue();
              // One request comes back every 20 s; the call waits for the first.
              assertThat(e.retryAfter()).isBetween(Duration.ofSeconds(15), Duration.ofSeconds(20));
              assertThat(e.getMessage())
                  .contains("per-agent@1")
                  .contains("3 requests per minute per agent")
                  .contains("retry after " + e.rateLimits().retryAfterSeconds() + " s");
              assertThat(e.rateLimits().policy()).isEqualTo("per-agent@1");
              assertThat(e.rateLimits().requests().remaining()).isZero();
            });
    assertThat(fake.seen()).as("a refused call is not sent").hasSize(sent);
    assertThat(heard).as("the listener hears admitted calls only").hasSize(3);
    // Per agent: another agent of the tenant has its own bucket.
    assertThat(invoker.call(chat("agt_y", "m-agent", "")).body()).isNotNull();
  }

  @Test
  void aPerTenantLimitIsSharedByTheTenantsAgentsAndANotGovernedCallCostsNoBucket() {
    invoker.call(chat("agt_x", "m-tenant", ""));
    invoker.call(chat("agt_y", "m-tenant", ""));
    assertThatThrownBy(() -> invoker.call(chat("agt_x", "m-tenant", "")))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo("rate_limited"));

    int before = buckets();
    invoker.call(chat("agt_x", "m-free", ""));
    assertThat(buckets()).as("no policy governs m-free: no bucket was taken from").isEqualTo(before);
  }

  @Test
  void tokensPerMinuteReserveTheWorstCaseAndSettleToTheUsage() {
    ModelCall call = chat("agt_x", "m-tokens", ",\"max_tokens\":200");
    long worst = TokenEstimator.inputTokens(Dialect.OPENAI, call.body()) + 200;
    List<RateLimitStatus> heard = new CopyOnWriteArrayList<>();
    invoker.call(call, heard::add);
    // Heard before the call: the whole worst case was taken.
    assertThat(heard.get(0).tokens().remaining()).isBetween(1000 - worst - 1, 1000 - worst + 20);
    // Settled to the provider's 18 tokens: about 1000 - 18 (plus what refilled meanwhile, up to 1000).
    assertThat(bucket("rl:tokens:t:agent:agt_x")).isBetween(1000.0 - 18 - 1, 1000.0);

    // Without max_tokens the model's maxOutput (300) bounds the output (and above it too).
    ModelCall bare = chat("agt_y", "m-tokens", "");
    List<RateLimitStatus> bareHeard = new CopyOnWriteArrayList<>();
    invoker.call(bare, bareHeard::add);
    long bareWorst = TokenEstimator.inputTokens(Dialect.OPENAI, bare.body()) + 300;
    assertThat(bareHeard.get(0).tokens().remaining()).isBetween(1000 - bareWorst - 1, 1000 - bareWorst + 20);

    // A call that fails before any provider answered gives its whole reservation back.
    fake.behave(FakeLlm.Behaviour.FAIL_500);
    assertThatThrownBy(() -> invoker.call(chat("agt_y", "m-tokens", ",\"max_tokens\":900")))
        .isInstanceOf(ModelCallException.class);
    assertThat(bucket("rl:tokens:t:agent:agt_y")).isBetween(1000.0 - 18 - 1, 1000.0);

    // Each of n choices is reserved: 4 of up to 300 is above the whole minute's tokens, which reserves
    // the whole minute's: admitted on a full bucket (another agent's, untouched: agt_y's holds its 18
    // tokens' debt until about a second has refilled it).
    fake.behave(FakeLlm.Behaviour.ANSWER);
    List<RateLimitStatus> fourHeard = new CopyOnWriteArrayList<>();
    assertThat(invoker.call(chat("agt_z", "m-tokens", ",\"max_tokens\":5000,\"n\":4"), fourHeard::add).body()).isNotNull();
    assertThat(fourHeard.get(0).tokens().remaining()).as("the whole minute's tokens were reserved").isLessThanOrEqualTo(20);
  }

  /**
   * An {@code n} on /v1/messages counts for nothing, and a worst case past a long's end is the
   * largest, never a wrapped negative one: {@code max_tokens} 2^30 times {@code n} 2^33 reserved 1
   * token of the minute's, and a caller could repeat it at will.
   */
  @Test
  void anAnthropicCallWithAHugeNReservesItsWholeWorstCase() throws Exception {
    ObjectNode body =
        (ObjectNode) JSON.readTree(
            "{\"model\":\"m-tokens-open\",\"max_tokens\":1073741824,\"n\":8589934592,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    ModelCall call =
        new ModelCall(ModelCall.Kind.CHAT, Dialect.ANTHROPIC, "m-tokens-open", body, false, new Caller("ten_a", "agt_x", List.of()), null, "req-1", null, null, 1);
    List<RateLimitStatus> heard = new CopyOnWriteArrayList<>();
    invoker.call(call, heard::add);
    assertThat(heard.get(0).tokens().remaining()).as("the whole minute's tokens were reserved").isLessThanOrEqualTo(20);
    assertThatThrownBy(() -> invoker.call(call))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo("rate_limited"));
  }

  @Test
  void aCallOneOfItsLimitsRefusesTakesNothingFromTheOthers() {
    invoker.call(chat("agt_x", "m-two", ""));
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> invoker.call(chat("agt_x", "m-two", "")))
          .isInstanceOfSatisfying(
              ModelCallException.class, e -> assertThat(e.rateLimits().policy()).isEqualTo("two-b-narrow@1"));
    }
    // The wide limit paid for the one admitted call only (and refilled a little since).
    assertThat(bucket("rl:two-a-wide:r:agent:agt_x")).isBetween(9.0, 9.5);
  }

  @Test
  void aChangedLimitKeepsItsCountsAndTheRefusalNamesTheNewVersion() {
    invoker.call(chat("agt_x", "m-edit", ""));
    invoker.call(chat("agt_x", "m-edit", ""));
    assertThat(policies.upsert(limit("edited", "m-edit", 3, null, "agent"))).isTrue();
    assertThatThrownBy(() -> invoker.call(chat("agt_x", "m-edit", "")))
        .as("raising the limit does not hand out a fresh bucket")
        .isInstanceOfSatisfying(
            ModelCallException.class,
            e -> {
              assertThat(e.rateLimits().policy()).isEqualTo("edited@2");
              assertThat(e.getMessage()).contains("3 requests per minute");
            });
  }

  @Test
  void insideATaskARefusalIsTheWorkflowsWaitNotARetryThatCountsAnAttempt() {
    RateLimitStatus status = new RateLimitStatus(null, null, Duration.ofMillis(2500), "p@1");
    ApplicationFailure f =
        ModelActivitiesImpl.failureOf(
            new ModelCallException("rate_limited", 429, "rate limit p@1 ...", null, status.retryAfter(), true, status),
            RetryOptions.newBuilder().setMaximumAttempts(1).build(),
            1);
    assertThat(f.isNonRetryable()).isTrue();
    assertThat(RateLimitWaits.waitOf(f)).isEqualTo(Duration.ofMillis(2500));
    // A provider's own 429 stays a retry under the model's policy.
    ApplicationFailure provider =
        ModelActivitiesImpl.failureOf(
            new ModelCallException("rate_limited", 429, "provider said 429", null, Duration.ofSeconds(1), true), null, 1);
    assertThat(provider.isNonRetryable()).isFalse();
    assertThat(RateLimitWaits.waitOf(provider)).isNull();
    assertThat(ApplyRateLimits.DEFAULT_OUTPUT_TOKENS).isPositive();
  }
}
