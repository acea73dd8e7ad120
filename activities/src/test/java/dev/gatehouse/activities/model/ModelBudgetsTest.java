package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.BudgetLedger;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.activities.usage.UsageLog;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.audit.AuditDao;
import dev.gatehouse.registry.budgets.BudgetDao;
import dev.gatehouse.registry.db.RegistryDatabase;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.usage.UsageDao;
import dev.gatehouse.registry.usage.UsageQuery;
import dev.gatehouse.workflows.tool.Caller;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Budget policies in the model chain as ModelInvoker assembles it: the registry and the budgets
 * on PostgreSQL, a FAKE provider on loopback (no LLM runs here). A call reserves its worst case
 * before it is sent and is refused with {@code budget_exceeded} when it does not fit, nothing
 * sent; it settles to exactly what its usage row records, whether it ended whole, failed or was
 * abandoned mid-stream; and a call no budget governs never reaches the budgets' tables.
 */
class ModelBudgetsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What the fake reports for an answer: 11 in, 7 out. */
  private static final long ANSWER_TOKENS = 18;

  private static TestDatabase db;
  private static AuditLog audit;
  private static UsageLog usage;
  private static FakeLlm fake;
  private static CollectorRegistry registry;
  private static GatehouseMetrics metrics;
  private ModelInvoker invoker;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    fake = FakeLlm.start("a");
    db.jdbi().useExtension(TenantDao.class, t -> t.insert("ten_a", "a"));
    db.jdbi().onDemand(ProviderDao.class)
        .insert(new ProviderDefinition("p-a", null, ProviderDefinition.OPENAI, fake.baseUrl(), null, Duration.ofMillis(1500), Map.of()));
    AgentDao agents = db.jdbi().onDemand(AgentDao.class);
    for (String id : List.of("agt_a", "agt_b")) {
      agents.insert(new Agent(id, "ten_a", id.substring(4) + "-agent", null, new Permissions(null, new AccessList(List.of("*"), List.of()), null), null, null));
    }
    audit = new AuditLog(db.jdbi(), 100, Duration.ofMillis(10));
    usage = new UsageLog(db.jdbi(), 1000, Duration.ofMillis(10));
    registry = new CollectorRegistry();
    metrics = new GatehouseMetrics(registry);
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
    invoker = invoker(db.jdbi());
  }

  @AfterEach
  void closeInvoker() {
    invoker.close();
  }

  /** An invoker whose budgets are kept through {@code budgets} (the registry is always the test database). */
  private static ModelInvoker invoker(Jdbi budgets) {
    return new ModelInvoker(
        db.jdbi(),
        new UpstreamCredentials(null, Clock.systemUTC()),
        metrics,
        audit,
        usage,
        new ModelRoutingSettings(3, Duration.ofSeconds(30), Duration.ofSeconds(2), 1 << 20, 1 << 20, Duration.ZERO),
        new BlockingHttp(Duration.ofSeconds(10)),
        new PolicyCatalog(db.jdbi(), Duration.ZERO),
        new BudgetLedger(budgets, Duration.ofMinutes(15), metrics));
  }

  private static void model(String name, ModelDefinition.Prices prices) {
    db.jdbi().onDemand(ModelDao.class).insert(
        new ModelDefinition(name, null, List.of(new ModelDefinition.Target("p-a", "pm-" + name, 1)), List.of(),
            new RetrySpec(1, Duration.ofMillis(5), 2.0, Duration.ofMillis(5)), prices, null, null));
  }

  private static void policy(String name, List<String> agents, List<String> models, PolicyDefinition.Budget budget) {
    db.jdbi().onDemand(PolicyDao.class).upsert(
        new PolicyDefinition(name, null, PolicyDefinition.BUDGET, new PolicyDefinition.AppliesTo(agents, List.of(), models), null, budget,
            null, null, null));
  }

  private static ModelCall chat(String agent, String alias, boolean stream) {
    try {
      ObjectNode body =
          (ObjectNode) JSON.readTree("{\"model\":\"" + alias + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":20"
              + (stream ? ",\"stream\":true" : "") + "}");
      return new ModelCall(ModelCall.Kind.CHAT, Dialect.OPENAI, alias, body, stream, new Caller("ten_a", agent, List.of()), null, "req-1", null, null, 1);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** The worst case of {@link #chat}: its input as Gatehouse counts it and its max_tokens. */
  private static long worst() {
    return TokenEstimator.inputTokens(Dialect.OPENAI, chat("agt_a", "x", false).body()) + 20;
  }

  /** The one budget of {@code policy} in its current period. */
  private static BudgetDao.Current budget(String policy) {
    List<BudgetDao.Current> rows = db.jdbi().onDemand(BudgetDao.class).current(null, policy, null, null, 10);
    assertThat(rows).as("the budgets of " + policy).hasSize(1);
    return rows.get(0);
  }

  /** The usage rows of {@code model}, once the log wrote what it had. */
  private static List<UsageDao.Row> usageOf(String model) throws InterruptedException {
    usage.flush();
    UsageQuery q = new UsageQuery("ten_a", null, model, null, Instant.now().minusSeconds(600), Instant.now().plusSeconds(60));
    return db.jdbi().onDemand(UsageDao.class).page(q, null, 1000);
  }

  private static long tokens(List<UsageDao.Row> rows) {
    return rows.stream().mapToLong(r -> r.inputTokens() + r.outputTokens()).sum();
  }

  @Test
  void theProviderIsAskedForNoMoreOutputThanWasReserved() throws Exception {
    db.jdbi().onDemand(ModelDao.class).insert(
        new ModelDefinition("capped", null, List.of(new ModelDefinition.Target("p-a", "pm-capped", 1)), List.of(),
            new RetrySpec(1, Duration.ofMillis(5), 2.0, Duration.ofMillis(5)), null, null, 1000));
    ModelCall call = chat("agt_a", "capped", false);
    call.body().put("max_tokens", 100_000);

    invoker.call(call);

    assertThat(JSON.readTree(fake.seen().get(0).body()).get("max_tokens").asLong()).isEqualTo(1000);
  }

  @Test
  void callsAreAdmittedWhileTheirWorstCaseFitsAndSettleToTheirUsageRows() throws Exception {
    model("tok", null);
    long worst = worst();
    // Two whole answers and one more worst case: exactly three calls fit.
    long limit = 2 * ANSWER_TOKENS + worst;
    policy("tokens-daily", List.of(), List.of("tok"), new PolicyDefinition.Budget(limit, null, "day", "agent"));

    for (int i = 0; i < 3; i++) {
      invoker.call(chat("agt_a", "tok", false));
    }
    assertThatThrownBy(() -> invoker.call(chat("agt_a", "tok", false)))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.code()).isEqualTo("budget_exceeded");
          assertThat(e.status()).isEqualTo(402);
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage())
              .contains("budget tokens-daily@1 (per agent, this UTC day)")
              .contains("limit " + limit + " tokens, " + 3 * ANSWER_TOKENS + " spent, 0 reserved by calls in flight")
              .contains("may use up to " + worst + " (" + (worst - 20) + " in, up to 20 out)")
              .contains("it resets at ");
        });
    assertThat(fake.seen()).as("the refused call was not sent").hasSize(3);

    BudgetDao.Current b = budget("tokens-daily");
    assertThat(b.subject()).isEqualTo("agent:agt_a");
    assertThat(b.reservedTokens()).isZero();
    List<UsageDao.Row> rows = usageOf("tok");
    assertThat(rows).hasSize(4);
    assertThat(b.spentTokens()).as("spent is the sum of the usage rows").isEqualTo(tokens(rows)).isEqualTo(3 * ANSWER_TOKENS);

    // Another agent has a budget of its own; the refusal is counted and audited under the policy's name and version.
    invoker.call(chat("agt_b", "tok", false));
    assertThat(registry.getSampleValue("gatehouse_budget_refusals_total", new String[] {"policy"}, new String[] {"tokens-daily"}))
        .isEqualTo(1.0);
    audit.flush();
    List<AuditDao.Row> denied =
        db.jdbi().withExtension(AuditDao.class, dao -> dao.page("ten_a", null, "model.call", "budget_exceeded", null, null, null, 10));
    assertThat(denied).hasSize(1);
    assertThat(denied.get(0).policy()).isEqualTo("tokens-daily@1");
    List<AuditDao.Row> allowed =
        db.jdbi().withExtension(AuditDao.class, dao -> dao.page("ten_a", "agt_b", "model.call", "ok", null, null, null, 10));
    assertThat(allowed.get(0).detail()).as("the reservation is audited").contains("tokens-daily@1 reserved " + worst + " tokens");
  }

  /**
   * An {@code n} on /v1/messages (Anthropic's Messages has none) does not multiply the worst case:
   * {@code max_tokens} 2^30 times {@code n} 2^33 wrapped round to a negative worst case, which
   * reserved nothing, and a 200-token budget let the call through.
   */
  @Test
  void anAnthropicCallWithAHugeNIsRefusedByATokenBudget() throws Exception {
    model("tok-anthropic", null);
    policy("tokens-anthropic", List.of(), List.of("tok-anthropic"), new PolicyDefinition.Budget(200L, null, "day", "agent"));
    ObjectNode body =
        (ObjectNode) JSON.readTree(
            "{\"model\":\"tok-anthropic\",\"max_tokens\":1073741824,\"n\":8589934592,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    ModelCall call =
        new ModelCall(ModelCall.Kind.CHAT, Dialect.ANTHROPIC, "tok-anthropic", body, false, new Caller("ten_a", "agt_a", List.of()), null, "req-1", null, null, 1);

    assertThatThrownBy(() -> invoker.call(call))
        .isInstanceOfSatisfying(ModelCallException.class, e -> {
          assertThat(e.code()).isEqualTo("budget_exceeded");
          assertThat(e.status()).isEqualTo(402);
          assertThat(e.getMessage()).contains("up to 1073741824 out");
        });
    assertThat(fake.seen()).as("nothing was sent").isEmpty();
  }

  @Test
  void aCostBudgetReservesAtTheModelsPricesAndRefusesAModelWithoutPrices() throws Exception {
    // Per million tokens: 1 in, 2 out. An answer (11 in, 7 out) costs 0.000025.
    model("priced", new ModelDefinition.Prices(new BigDecimal("1"), null, new BigDecimal("2")));
    long input = worst() - 20;
    BigDecimal worstCost = BigDecimal.valueOf(input + 40).movePointLeft(6);
    BigDecimal answer = new BigDecimal("0.000025");
    policy("cost-monthly", List.of(), List.of("priced"), new PolicyDefinition.Budget(null, answer.add(worstCost), null, "tenant"));

    invoker.call(chat("agt_a", "priced", false));
    invoker.call(chat("agt_b", "priced", false)); // the same tenant's budget
    assertThatThrownBy(() -> invoker.call(chat("agt_a", "priced", false)))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.getMessage())
            .contains("per tenant, this UTC month")
            .contains("0.00005 spent")
            .contains("may cost up to " + worstCost.stripTrailingZeros().toPlainString()));
    assertThat(fake.seen()).hasSize(2);
    BudgetDao.Current b = budget("cost-monthly");
    assertThat(b.subject()).isEqualTo("tenant:ten_a");
    List<UsageDao.Row> rows = usageOf("priced");
    BigDecimal rowCosts = rows.stream().map(UsageDao.Row::cost).reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(b.spentCost()).isEqualByComparingTo(rowCosts).isEqualByComparingTo("0.00005");
    assertThat(b.reservedCost()).isEqualByComparingTo("0");

    model("unpriced", null);
    policy("cost-unpriced", List.of(), List.of("unpriced"), new PolicyDefinition.Budget(null, new BigDecimal("100"), null, null));
    assertThatThrownBy(() -> invoker.call(chat("agt_a", "unpriced", false)))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.code()).isEqualTo("budget_exceeded"))
        .hasMessageContaining("has no prices");
    assertThat(fake.seen()).hasSize(2);
  }

  @Test
  void aStreamTheClientAbandonedAndAFailedCallSettleToWhatTheirUsageRowsSay() throws Exception {
    model("abandoned", null);
    policy("stream-budget", List.of(), List.of("abandoned"), new PolicyDefinition.Budget(100_000L, null, "fixed", null));
    fake.behave(FakeLlm.Behaviour.SLOW_STREAM);
    Collecting sink = new Collecting();
    sink.failAfter = 3;
    ModelAnswer a = invoker.stream(chat("agt_a", "abandoned", true), sink);
    assertThat(a.usage().estimated()).isTrue();

    List<UsageDao.Row> rows = usageOf("abandoned");
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).outcome()).isEqualTo(ModelExchange.CLIENT_CLOSED);
    BudgetDao.Current b = budget("stream-budget");
    assertThat(b.reservedTokens()).isZero();
    assertThat(b.spentTokens()).isEqualTo(tokens(rows)).isPositive();

    fake.behave(FakeLlm.Behaviour.FAIL_500);
    assertThatThrownBy(() -> invoker.call(chat("agt_a", "abandoned", false))).isInstanceOf(ModelCallException.class);
    rows = usageOf("abandoned");
    assertThat(rows).hasSize(2);
    BudgetDao.Current after = budget("stream-budget");
    assertThat(after.reservedTokens()).as("the failed call's reservation is released").isZero();
    assertThat(after.spentTokens()).isEqualTo(tokens(rows)).isEqualTo(b.spentTokens());
  }

  @Test
  void aCallNoBudgetGovernsNeverReachesTheBudgetsTables() throws Exception {
    model("ungoverned", null);
    model("governed", null);
    policy("only-governed", List.of(), List.of("governed"), new PolicyDefinition.Budget(1000L, null, null, null));
    policy("only-agent-b", List.of("b-agent"), List.of("ungoverned"), new PolicyDefinition.Budget(1000L, null, null, null));
    // Budgets on a database that is not there: any use of them fails the call.
    try (ModelInvoker cut = invoker(RegistryDatabase.configure(Jdbi.create("jdbc:postgresql://127.0.0.1:1/nothing")))) {
      assertThat(cut.call(chat("agt_a", "ungoverned", false)).provider()).isEqualTo("p-a");
      // Agent b's budget is looked up, and the call fails closed when the budgets cannot be read.
      assertThatThrownBy(() -> cut.call(chat("agt_b", "ungoverned", false))).isInstanceOf(RuntimeException.class);
      assertThatThrownBy(() -> cut.call(chat("agt_a", "governed", false))).isInstanceOf(RuntimeException.class);
    }
    assertThat(fake.seen()).as("only the ungoverned call was sent").hasSize(1);
  }

  @Test
  void aRefusalByOneBudgetReleasesWhatTheOthersReservedAndAChangedLimitAppliesAtOnce() {
    model("two", null);
    long worst = worst();
    policy("a-roomy", List.of(), List.of("two"), new PolicyDefinition.Budget(1_000_000L, null, null, null));
    policy("b-tight", List.of(), List.of("two"), new PolicyDefinition.Budget(worst - 1, null, null, null));
    assertThatThrownBy(() -> invoker.call(chat("agt_a", "two", false)))
        .isInstanceOfSatisfying(ModelCallException.class, e -> assertThat(e.getMessage()).contains("b-tight@1"));
    BudgetDao.Current roomy = budget("a-roomy");
    assertThat(roomy.reservedTokens()).as("a-roomy reserved first, and was given it back").isZero();
    assertThat(roomy.spentTokens()).isZero();

    // Raised: the same period's budget is checked against the new limit on the next call.
    policy("b-tight", List.of(), List.of("two"), new PolicyDefinition.Budget(worst, null, null, null));
    invoker.call(chat("agt_a", "two", false));
    BudgetDao.Current tight = budget("b-tight");
    assertThat(tight.version()).isEqualTo(2);
    assertThat(tight.limitTokens()).isEqualTo(worst);
    assertThat(tight.spentTokens()).isEqualTo(ANSWER_TOKENS);
    assertThat(budget("a-roomy").spentTokens()).isEqualTo(ANSWER_TOKENS);
  }

  /** Collects a stream's events; fails (the client leaving) after {@code failAfter} of them. */
  private static final class Collecting implements StreamSink {
    final List<String> events = new CopyOnWriteArrayList<>();
    int failAfter = Integer.MAX_VALUE;

    @Override
    public void open() {}

    @Override
    public void event(String name, String data) throws IOException {
      if (events.size() >= failAfter) {
        throw new IOException("client went away");
      }
      events.add(data);
    }
  }
}
