package dev.gatehouse.frontend.models;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.budgets.BudgetDao;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Budget policies across two gateway replicas on one database, through the OpenAI face, against a
 * FAKE provider (no LLM runs here; {@link FakeProvider} answers what the test scripts). Fifty
 * concurrent requests, half on each replica, against a budget that fits ten: exactly ten reach the
 * provider, forty are refused with 402 {@code budget_exceeded} before anything is sent, and what
 * the budget spent is exactly the sum of the usage rows, never more than the limit. A stream the
 * client abandoned is settled too. The admin API and a Prometheus scrape show the numbers.
 */
class BudgetReplicasTest {
  static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"how much is left?\"}],\"max_tokens\":20%s}";
  static final int REQUESTS = 50;
  static final int FIT = 10;

  static FakeProvider fake;
  static TestGatehouse a;
  static TestGatehouse b;
  static Jdbi db;
  static String alpha;
  /** Ten worst cases of {@link #CHAT} on budget-model (1 in, 2 out per million tokens). */
  static long LIMIT_TOKENS;
  static BigDecimal LIMIT_COST;
  static final long AGENT_LIMIT = 1_000;

  @BeforeAll
  static void start() throws Exception {
    long input = inputTokens();
    String slow = IntStream.range(0, 200).mapToObj(i -> "w" + i + " ").collect(Collectors.joining());
    fake =
        new FakeProvider()
            // What the provider reports is exactly the worst case: the input as Gatehouse counts it, and max_tokens.
            .script("fake-budget", Reply.text("within budget").withUsage((int) input, 20))
            .script("fake-slow", Reply.text(slow).withFragments(200).withChunkDelay(Duration.ofMillis(50)))
            // A model that keeps calling a tool: an agent loop that only a budget stops.
            .script("fake-agent", Reply.toolCall("c", "t_echo", "{\"more\":true}").withUsage(100, 50));
    a = TestGatehouse.start();
    b = a.replica(c -> {});
    db = a.db.jdbi();
    created(a.post("/admin/v1/providers", ADMIN_KEY,
        "{\"name\":\"budget-provider\",\"type\":\"openai\",\"baseUrl\":\"" + fake.openaiBase() + "\",\"timeout\":\"10s\"}"));
    // Per million tokens: 1 in, 2 out.
    created(a.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"budget-model\",\"targets\":[{\"provider\":\"budget-provider\",\"model\":\"fake-budget\"}],"
            + "\"retry\":{\"maxAttempts\":1},\"prices\":{\"input\":1,\"output\":2}}"));
    created(a.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"budget-stream\",\"targets\":[{\"provider\":\"budget-provider\",\"model\":\"fake-slow\"}],\"retry\":{\"maxAttempts\":1}}"));
    created(a.post("/admin/v1/models", ADMIN_KEY,
        "{\"name\":\"budget-agent\",\"targets\":[{\"provider\":\"budget-provider\",\"model\":\"fake-agent\"}],\"retry\":{\"maxAttempts\":1}}"));
    for (JsonNode t : json(a.get("/admin/v1/tenants?limit=200", ADMIN_KEY)).get("items")) {
      if (t.get("name").asText().equals("alpha")) {
        alpha = t.get("id").asText();
      }
    }
    assertThat(alpha).isNotNull();
    // Before any call: each replica reads a tenant's policies at its first call and keeps them 2 s.
    LIMIT_TOKENS = FIT * (input + 20);
    LIMIT_COST = BigDecimal.valueOf(input + 40).movePointLeft(6).multiply(BigDecimal.valueOf(FIT));
    policy("replica-budget", List.of("budget-model"), new PolicyDefinition.Budget(LIMIT_TOKENS, LIMIT_COST, "day", "tenant"));
    policy("stream-budget", List.of("budget-stream"), new PolicyDefinition.Budget(1_000_000L, null, "fixed", "agent"));
    policy("agent-budget", List.of("budget-agent"), new PolicyDefinition.Budget(AGENT_LIMIT, null, "fixed", "agent"));
  }

  @AfterAll
  static void stop() {
    try {
      if (b != null) {
        b.close();
      }
      if (a != null) {
        a.close();
      }
    } finally {
      if (fake != null) {
        fake.close();
      }
    }
  }

  static void created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.request().uri() + " " + r.body()).isEqualTo(201);
  }

  static long inputTokens() throws Exception {
    return TokenEstimator.inputTokens(Dialect.OPENAI, (ObjectNode) TestGatehouse.JSON.readTree(CHAT.formatted("budget-model", "")));
  }

  static void policy(String name, List<String> models, PolicyDefinition.Budget budget) {
    db.onDemand(PolicyDao.class).insert(
        new PolicyDefinition(name, null, PolicyDefinition.BUDGET, new PolicyDefinition.AppliesTo(List.of(), List.of(), models), null,
            budget, null, null, null));
  }

  static BudgetDao.Current budget(String policy) {
    List<BudgetDao.Current> rows = db.onDemand(BudgetDao.class).current(null, policy, null, null, 10);
    assertThat(rows).as(policy).hasSize(1);
    return rows.get(0);
  }

  /** The usage rows' sums for {@code model}: calls, tokens (in + out) and cost. */
  record Usage(long calls, long tokens, BigDecimal cost) {}

  static Usage usage(String model) {
    return db.withHandle(h -> h.createQuery(
            "SELECT count(*) AS calls, COALESCE(sum(input_tokens + output_tokens), 0) AS tokens, COALESCE(sum(cost), 0) AS cost "
                + "FROM model_usage WHERE model = :model")
        .bind("model", model)
        .map((rs, ctx) -> new Usage(rs.getLong("calls"), rs.getLong("tokens"), rs.getBigDecimal("cost")))
        .one());
  }

  static void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited 30 s for " + what);
      }
      Thread.sleep(50);
    }
  }

  /** The value of the scrape's sample {@code name} whose labels include all of {@code labels}; null when none. */
  static Double sample(String scrape, String name, String... labels) {
    for (String line : scrape.split("\n")) {
      if (!line.startsWith(name + "{")) {
        continue;
      }
      String labelText = line.substring(name.length(), line.lastIndexOf('}') + 1);
      boolean all = true;
      for (String l : labels) {
        all &= labelText.contains(l);
      }
      if (all) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return null;
  }

  @Test
  void fiftyConcurrentRequestsOnTwoReplicasSpendExactlyWhatTheBudgetHolds() throws Exception {
    long limitTokens = LIMIT_TOKENS;
    BigDecimal limitCost = LIMIT_COST;

    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      String base = (i % 2 == 0 ? a : b).api();
      sent.add(http.sendAsync(
          HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
              .header("Authorization", "Bearer " + KEY_A)
              .header("Content-Type", "application/json")
              .timeout(Duration.ofSeconds(60))
              .POST(HttpRequest.BodyPublishers.ofString(CHAT.formatted("budget-model", "")))
              .build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    int ok = 0;
    int refused = 0;
    for (CompletableFuture<HttpResponse<String>> f : sent) {
      HttpResponse<String> r = f.get();
      if (r.statusCode() == 200) {
        ok++;
      } else {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(402);
        JsonNode error = json(r).get("error");
        assertThat(error.get("code").asText()).isEqualTo("budget_exceeded");
        assertThat(error.get("message").asText()).contains("budget replica-budget@1 (per tenant, this UTC day)").contains("limit " + limitTokens + " tokens");
        refused++;
      }
    }
    assertThat(ok).as("exactly the ten calls the budget holds").isEqualTo(FIT);
    assertThat(refused).isEqualTo(REQUESTS - FIT);
    assertThat(fake.requests("/v1/chat/completions").stream().filter(r -> "fake-budget".equals(r.model())))
        .as("refused calls never reached the provider")
        .hasSize(FIT);

    // Every call, refused or not, has its usage row (each replica writes its own, a little later).
    await("50 usage rows", () -> usage("budget-model").calls() == REQUESTS);
    Usage rows = usage("budget-model");
    BudgetDao.Current spent = budget("replica-budget");
    System.out.printf(
        "budgets across replicas: %d of %d admitted; spent %d of %d tokens, %s of %s; usage rows %d tokens, %s%n",
        ok, REQUESTS, spent.spentTokens(), limitTokens, spent.spentCost().stripTrailingZeros().toPlainString(),
        limitCost.toPlainString(), rows.tokens(), rows.cost().stripTrailingZeros().toPlainString());
    assertThat(spent.subject()).isEqualTo("tenant:" + alpha);
    assertThat(spent.reservedTokens()).isZero();
    assertThat(spent.spentTokens()).as("spent is the usage rows' sum").isEqualTo(rows.tokens()).isEqualTo(limitTokens);
    assertThat(spent.spentCost()).isEqualByComparingTo(rows.cost()).isEqualByComparingTo(limitCost);
    assertThat(spent.remainingTokens()).isZero();

    // The admin API, from the other replica: the platform admin, the tenant's admin, and another tenant's.
    JsonNode listed = json(b.get("/admin/v1/budgets?policy=replica-budget", ADMIN_KEY)).get("items");
    assertThat(listed).hasSize(1);
    JsonNode row = listed.get(0);
    assertThat(row.get("policy").asText()).isEqualTo("replica-budget@1");
    assertThat(row.get("subject").asText()).isEqualTo("tenant:" + alpha);
    assertThat(row.get("per").asText()).isEqualTo("tenant");
    assertThat(row.get("period").asText()).isEqualTo("day");
    assertThat(row.get("limit").get("tokens").asLong()).isEqualTo(limitTokens);
    assertThat(row.get("limit").get("cost").decimalValue()).isEqualByComparingTo(limitCost);
    assertThat(row.get("spent").get("tokens").asLong()).isEqualTo(limitTokens);
    assertThat(row.get("reserved").get("tokens").asLong()).isZero();
    assertThat(row.get("remaining").get("tokens").asLong()).isZero();
    assertThat(row.get("remaining").get("cost").decimalValue()).isEqualByComparingTo("0");
    assertThat(row.has("resetsAt")).isTrue();
    // Pages of one follow each other by cursor and together list what one page of all lists.
    List<String> all = new ArrayList<>();
    json(a.get("/admin/v1/budgets", ADMIN_KEY)).get("items").forEach(n -> all.add(n.get("policy").asText() + " " + n.get("subject").asText()));
    List<String> paged = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page = json(a.get("/admin/v1/budgets?limit=1" + (cursor == null ? "" : "&cursor=" + cursor), ADMIN_KEY));
      page.get("items").forEach(n -> paged.add(n.get("policy").asText() + " " + n.get("subject").asText()));
      cursor = page.path("nextCursor").isTextual() ? page.get("nextCursor").asText() : null;
    } while (cursor != null && paged.size() <= all.size());
    assertThat(paged).isEqualTo(all).isNotEmpty();
    HttpResponse<String> badCursor = a.get("/admin/v1/budgets?cursor=YnVkZ2V0cwpub3NwYWNl", ADMIN_KEY); // "budgets\nnospace": a key without its space
    assertThat(badCursor.statusCode()).isEqualTo(400);
    assertThat(json(badCursor).get("error").get("code").asText()).isEqualTo("invalid_request");
    String alphaAdmin = adminKey(alpha);
    assertThat(json(a.get("/admin/v1/budgets", alphaAdmin)).get("items")).extracting(n -> n.get("name").asText()).contains("replica-budget");
    HttpResponse<String> otherTenant = a.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"budget-other\"}");
    created(otherTenant);
    String other = adminKey(json(otherTenant).get("id").asText());
    assertThat(json(a.get("/admin/v1/budgets", other)).get("items")).isEmpty();
    HttpResponse<String> foreign = a.get("/admin/v1/budgets?tenant=" + alpha, other);
    assertThat(foreign.statusCode()).isEqualTo(404);
    assertThat(json(foreign).get("error").get("code").asText()).isEqualTo("tenant_not_found");

    // Prometheus, on either replica: the same shared numbers; refusals are each replica's own.
    String scrapeA = a.adminGet("/prometheus").body();
    String scrapeB = b.adminGet("/prometheus").body();
    for (String scrape : List.of(scrapeA, scrapeB)) {
      assertThat(sample(scrape, "gatehouse_budget_spent", "policy=\"replica-budget\"", "per=\"tenant\"", "unit=\"tokens\""))
          .isEqualTo((double) limitTokens);
      assertThat(sample(scrape, "gatehouse_budget_limit", "policy=\"replica-budget\"", "unit=\"tokens\"")).isEqualTo((double) limitTokens);
      assertThat(sample(scrape, "gatehouse_budget_reserved", "policy=\"replica-budget\"", "unit=\"cost\"")).isEqualTo(0.0);
      assertThat(sample(scrape, "gatehouse_budget_subjects", "policy=\"replica-budget\"")).isEqualTo(1.0);
    }
    double refusals =
        sample(scrapeA, "gatehouse_budget_refusals_total", "policy=\"replica-budget\"")
            + sample(scrapeB, "gatehouse_budget_refusals_total", "policy=\"replica-budget\"");
    assertThat(refusals).isEqualTo(REQUESTS - FIT);
  }

  @Test
  void aStreamTheClientAbandonedIsSettledToItsUsageRow() throws Exception {
    int closedBefore = fake.clientClosed();
    ModelFacesEndToEndTest.Raw raw =
        ModelFacesEndToEndTest.Raw.post(b.api(), "/v1/chat/completions", CHAT.formatted("budget-stream", ",\"stream\":true"),
            "Authorization", "Bearer " + KEY_A);
    assertThat(raw.head).startsWith("HTTP/1.1 200");
    raw.readUntil("data: ");
    raw.close();
    assertThat(fake.awaitClientClosed(closedBefore + 1, Duration.ofSeconds(20))).as("the gateway hung up on the provider").isTrue();

    await("the stream's usage row", () -> usage("budget-stream").calls() == 1);
    await("the stream's settlement", () -> db.onDemand(BudgetDao.class).current(null, "stream-budget", null, null, 1).stream()
        .anyMatch(r -> r.reservedTokens() == 0));
    Usage row = usage("budget-stream");
    BudgetDao.Current settled = budget("stream-budget");
    assertThat(settled.spentTokens()).as("what the abandoned stream's row says it used").isEqualTo(row.tokens()).isPositive();
    String outcome =
        db.withHandle(h -> h.createQuery("SELECT outcome FROM model_usage WHERE model = 'budget-stream'").mapTo(String.class).one());
    assertThat(outcome).isEqualTo("client_closed");
  }

  @Test
  void anAgentLoopStopsWhenItsAgentsBudgetHasNotEnoughLeftForTheNextCall() throws Exception {
    String id =
        a.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"budget-agent\",\"goal\":\"Keep going\",\"tools\":[\"t.echo\"],"
            + "\"limits\":{\"maxSteps\":100,\"maxOutputTokens\":200}}}");
    JsonNode task = a.await(id);
    JsonNode result = task.get("result");
    assertThat(result.get("stopReason").asText()).as(task.toString()).isEqualTo("budget");
    int steps = result.get("steps").asInt();
    long total = result.get("usage").get("totalTokens").asLong();
    assertThat(steps).isPositive();
    assertThat(fake.requests("/v1/chat/completions").stream().filter(r -> "fake-agent".equals(r.model())))
        .as("the call over budget was never sent")
        .hasSize(steps);
    // The refused call has its usage row too (no tokens).
    await("the loop's usage rows", () -> usage("budget-agent").calls() == steps + 1);
    BudgetDao.Current spent = budget("agent-budget");
    assertThat(spent.subject()).startsWith("agent:");
    assertThat(spent.spentTokens()).isEqualTo(usage("budget-agent").tokens()).isEqualTo(total).isEqualTo(steps * 150L);
    assertThat(spent.spentTokens()).isLessThanOrEqualTo(AGENT_LIMIT);
    assertThat(spent.reservedTokens()).isZero();
  }

  static String adminKey(String tenant) {
    HttpResponse<String> r = a.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"budgets\",\"tenant\":\"" + tenant + "\"}");
    created(r);
    return json(r).get("key").asText();
  }
}
