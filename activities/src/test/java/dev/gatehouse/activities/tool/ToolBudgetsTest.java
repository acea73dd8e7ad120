package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.HttpToolConnector;
import dev.gatehouse.activities.mcp.McpConnector;
import dev.gatehouse.activities.mcp.McpToolCalls;
import dev.gatehouse.activities.mcp.McpToolResolver;
import dev.gatehouse.activities.mcp.McpUpstreams;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.BudgetLedger;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.policies.tools.ToolArgumentsPolicy;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.budgets.BudgetDao;
import dev.gatehouse.registry.db.RegistryDatabase;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.Caller;
import io.prometheus.client.CollectorRegistry;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Budget policies in the tool chain: an HTTP tool's declared {@code cost} is reserved before the
 * call and spent when the upstream answered; a failed call spends nothing; a call the budget
 * cannot count (a token budget, a tool without a cost) costs no round trip to the budgets.
 */
class ToolBudgetsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestDatabase db;
  private static AuditLog audit;
  private static McpUpstreams mcpUpstreams;
  private static LoopbackUpstream upstream;
  private static GatehouseMetrics metrics;
  private static McpConnector connector;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    upstream = LoopbackUpstream.start();
    upstream.route("/paid/ok", r -> new LoopbackUpstream.Answer(200, "{\"done\":true}"));
    upstream.route("/paid/broken", r -> new LoopbackUpstream.Answer(500, "{\"error\":\"boom\"}"));
    upstream.route("/free", r -> new LoopbackUpstream.Answer(200, "{\"free\":true}"));
    db.jdbi().useExtension(TenantDao.class, t -> t.insert("ten_a", "a"));
    ToolDao tools = db.jdbi().onDemand(ToolDao.class);
    tools.insert(tool("t.paid", "/paid/{what}", new BigDecimal("0.25")));
    tools.insert(tool("t.free", "/free", null));
    tools.insert(tool("t.pricey", "/paid/{what}", BigDecimal.ONE));
    db.jdbi().onDemand(AgentDao.class).insert(
        new Agent("agt_a", "ten_a", "a-agent", null, new Permissions(new AccessList(List.of("*"), List.of()), null, null), null, null));
    audit = new AuditLog(db.jdbi(), 100, Duration.ofMillis(10));
    metrics = new GatehouseMetrics(new CollectorRegistry());
    UpstreamCredentials credentials = new UpstreamCredentials(null, Clock.systemUTC());
    connector = new McpConnector(credentials);
    mcpUpstreams = new McpUpstreams(db.jdbi(), connector, metrics, Duration.ofMinutes(1), Duration.ofMinutes(1));
  }

  @AfterAll
  static void stop() throws Exception {
    mcpUpstreams.close();
    audit.close();
    upstream.close();
    db.close();
  }

  private static ToolDefinition tool(String name, String path, BigDecimal cost) {
    return new ToolDefinition(
        name, "", new HttpEndpoint("GET", upstream.url(path), Map.of()), null, Duration.ofSeconds(5),
        new RetrySpec(1, Duration.ofMillis(5), 2.0, Duration.ofMillis(5)), "ten_a", null, null, cost);
  }

  private static ToolInvoker invoker(Jdbi budgets) {
    return new ToolInvoker(
        db.jdbi(),
        new ToolCatalog(db.jdbi(), Duration.ZERO),
        new ToolArgumentsPolicy(65_536),
        new HttpToolConnector(65_536),
        new UpstreamCredentials(null, Clock.systemUTC()),
        metrics,
        audit,
        new McpToolResolver(db.jdbi(), Duration.ZERO),
        new McpToolCalls(mcpUpstreams, connector),
        new PolicyCatalog(db.jdbi(), Duration.ZERO),
        new BudgetLedger(budgets, Duration.ofMinutes(15), metrics));
  }

  private static ToolCall call(String tool, String args) {
    try {
      return ToolCall.of(tool, JSON.readTree(args), new Caller("ten_a", "agt_a", List.of()), new CallContext(null, null, 1));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static void policy(String name, List<String> tools, PolicyDefinition.Budget budget) {
    db.jdbi().onDemand(PolicyDao.class).upsert(
        new PolicyDefinition(name, "ten_a", PolicyDefinition.BUDGET, new PolicyDefinition.AppliesTo(List.of(), tools, List.of()), null,
            budget, null, null, null));
  }

  @Test
  void aToolsDeclaredCostIsReservedAndSpentWhenItsUpstreamAnswered() {
    policy("tool-cost", List.of("t.paid"), new PolicyDefinition.Budget(null, new BigDecimal("0.5"), "day", "tenant"));
    ToolInvoker invoker = invoker(db.jdbi());

    assertThat(invoker.invoke(call("t.paid", "{\"what\":\"ok\"}")).status()).isEqualTo(200);
    // A failed call held its 0.25 while it ran, and spent nothing.
    assertThatThrownBy(() -> invoker.invoke(call("t.paid", "{\"what\":\"broken\"}")))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.type()).isNotEqualTo("budget_exceeded"));
    assertThat(invoker.invoke(call("t.paid", "{\"what\":\"ok\"}")).status()).isEqualTo(200);
    assertThatThrownBy(() -> invoker.invoke(call("t.paid", "{\"what\":\"ok\"}")))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo("budget_exceeded");
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).contains("cost limit 0.5, 0.5 spent, 0 reserved by calls in flight, and this call may cost up to 0.25");
        });
    assertThat(upstream.requests("/paid/ok")).as("the refused call was not sent").hasSize(2);
    BudgetDao.Current b = db.jdbi().onDemand(BudgetDao.class).current("ten_a", "tool-cost", null, null, 10).get(0);
    assertThat(b.subject()).isEqualTo("tenant:ten_a");
    assertThat(b.spentCost()).isEqualByComparingTo("0.5");
    assertThat(b.reservedCost()).isEqualByComparingTo("0");
    assertThat(b.spentTokens()).isZero();
  }

  @Test
  void aCallTheBudgetCannotCountCostsNoRoundTrip() {
    policy("free-tokens", List.of("t.free"), new PolicyDefinition.Budget(10L, null, null, null));
    policy("free-cost", List.of("t.free", "t.pricey"), new PolicyDefinition.Budget(null, new BigDecimal("1"), null, null));
    // Budgets on a database that is not there: any use of them fails the call.
    ToolInvoker cut = invoker(RegistryDatabase.configure(Jdbi.create("jdbc:postgresql://127.0.0.1:1/nothing")));
    assertThat(cut.invoke(call("t.free", "{}")).status())
        .as("a token budget does not count tool calls, and a tool without a cost costs nothing")
        .isEqualTo(200);
    assertThatThrownBy(() -> cut.invoke(call("t.pricey", "{\"what\":\"ok\"}")))
        .as("a cost budget over a tool with a cost is looked up, and fails closed without its database")
        .isNotInstanceOf(ToolCallException.class);
  }
}
