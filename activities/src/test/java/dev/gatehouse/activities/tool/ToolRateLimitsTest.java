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
import dev.gatehouse.registry.audit.AuditDao;
import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition.AppliesTo;
import dev.gatehouse.registry.policies.PolicyDefinition.RateLimit;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.prometheus.client.CollectorRegistry;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rate-limit step in the tool chain as ToolInvoker assembles it (policies and buckets in
 * PostgreSQL, a real {@link PolicyCatalog}, a real upstream on loopback): a per-target limit
 * shared by the tenant's agents, refusals only after authorization, and what a refusal carries.
 */
class ToolRateLimitsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestDatabase db;
  private static AuditLog audit;
  private static McpUpstreams mcpUpstreams;
  private static LoopbackUpstream upstream;
  private static ToolInvoker invoker;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    upstream = LoopbackUpstream.start();
    upstream.route("/limited", r -> new LoopbackUpstream.Answer(200, "{\"ok\":true}"));
    upstream.route("/free", r -> new LoopbackUpstream.Answer(200, "{\"ok\":true}"));
    db.jdbi().useExtension(TenantDao.class, t -> t.insert("ten_a", "a"));
    for (String name : List.of("t.limited", "t.free")) {
      db.jdbi().useExtension(ToolDao.class, tools -> tools.insert(
          new ToolDefinition(
              name, "", new HttpEndpoint("GET", upstream.url("/" + name.substring(2)), Map.of()), null,
              Duration.ofSeconds(5), RetrySpec.DEFAULT, "ten_a", null)));
    }
    AgentDao agents = db.jdbi().onDemand(AgentDao.class);
    agents.insert(agent("agt_one", "*"));
    agents.insert(agent("agt_two", "*"));
    agents.insert(agent("agt_none", "other.*"));
    PolicyDao policies = db.jdbi().onDemand(PolicyDao.class);
    policies.insert(
        new PolicyDefinition(
            "per-target", "ten_a", PolicyDefinition.RATE_LIMIT, new AppliesTo(null, List.of("t.limited"), null),
            new RateLimit(2, null, "target"), null, null, null, null));
    // Tokens per minute count model calls: a tool call has none to take.
    policies.insert(
        new PolicyDefinition(
            "tokens-only", "ten_a", PolicyDefinition.RATE_LIMIT, null, new RateLimit(null, 100, "agent"), null, null, null, null));

    audit = new AuditLog(db.jdbi(), 100, Duration.ofMillis(10));
    GatehouseMetrics metrics = new GatehouseMetrics(new CollectorRegistry());
    UpstreamCredentials credentials = new UpstreamCredentials(null, Clock.systemUTC());
    McpConnector connector = new McpConnector(credentials);
    mcpUpstreams = new McpUpstreams(db.jdbi(), connector, metrics, Duration.ofMinutes(1), Duration.ofMinutes(1));
    invoker =
        new ToolInvoker(
            db.jdbi(),
            new ToolCatalog(db.jdbi(), Duration.ZERO),
            new ToolArgumentsPolicy(65_536),
            new HttpToolConnector(65_536),
            credentials,
            metrics,
            audit,
            new McpToolResolver(db.jdbi(), Duration.ZERO),
            new McpToolCalls(mcpUpstreams, connector),
            new PolicyCatalog(db.jdbi(), Duration.ZERO),
            new BudgetLedger(db.jdbi(), BudgetLedger.DEFAULT_RESERVATION_TTL, null));
  }

  @AfterAll
  static void stop() throws Exception {
    mcpUpstreams.close();
    audit.close();
    upstream.close();
    db.close();
  }

  private static Agent agent(String id, String allow) {
    return new Agent(id, "ten_a", id, null, new Permissions(new AccessList(List.of(allow), List.of()), null, null), null, null);
  }

  private static ToolCall call(String tool, String agentId, String taskId) {
    return ToolCall.of(tool, JSON.createObjectNode(), new Caller("ten_a", agentId, List.of()), new CallContext(taskId, "act-1", 1));
  }

  private static int buckets() {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM rate_buckets").mapTo(Integer.class).one());
  }

  @Test
  void aPerTargetLimitIsSharedByTheAgentsAndOnlyAuthorizedCallsSpendIt() throws Exception {
    for (int i = 0; i < 3; i++) {
      int n = i;
      assertThatThrownBy(() -> invoker.invoke(call("t.limited", "agt_none", "task-none-" + n)))
          .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.type()).isEqualTo(ToolFailureTypes.TOOL_NOT_ALLOWED));
    }
    assertThat(invoker.invoke(call("t.limited", "agt_one", "task-1")).status()).isEqualTo(200);
    assertThat(invoker.invoke(call("t.limited", "agt_two", "task-2")).status()).isEqualTo(200);
    int sent = upstream.requests("/limited").size();

    assertThatThrownBy(() -> invoker.invoke(call("t.limited", "agt_one", "task-3")))
        .isInstanceOfSatisfying(
            ToolCallException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ToolFailureTypes.RATE_LIMITED);
              assertThat(e.retryable()).isTrue();
              assertThat(e.httpStatus()).isEqualTo(429);
              assertThat(e.retryAfter()).hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofSeconds(25), Duration.ofSeconds(30)));
              assertThat(e.getMessage()).contains("per-target@1").contains("2 requests per minute per target");
              assertThat(e.rateLimits().requests().limit()).isEqualTo(2);
              assertThat(e.rateLimits().requests().remaining()).isZero();
            });
    assertThat(upstream.requests("/limited")).as("a refused call is not sent").hasSize(sent);

    audit.flush();
    List<AuditDao.Row> rows =
        db.jdbi().withExtension(AuditDao.class, dao -> dao.page("ten_a", null, "tool.call", null, null, null, null, 100));
    AuditDao.Row refused = rows.stream().filter(r -> "task-3".equals(r.taskId())).findFirst().orElseThrow();
    assertThat(refused.decision()).isEqualTo("deny");
    assertThat(refused.policy()).isEqualTo("per-target@1");
    assertThat(refused.outcome()).isEqualTo("rate_limited");
  }

  @Test
  void aToolCallNoRequestLimitGovernsTakesFromNoBucket() {
    int before = buckets();
    assertThat(invoker.invoke(call("t.free", "agt_one", "task-free")).status()).isEqualTo(200);
    assertThat(buckets()).isEqualTo(before);
  }

  @Test
  void insideATaskARefusalIsTheWorkflowsWaitNotARetryThatCountsAnAttempt() {
    var status = new dev.gatehouse.activities.policy.RateLimitStatus(null, null, Duration.ofSeconds(3), "p@1");
    ApplicationFailure f =
        ToolActivitiesImpl.failureOf(
            new ToolCallException(ToolFailureTypes.RATE_LIMITED, "rate limit p@1 ...", status),
            RetryOptions.newBuilder().setMaximumAttempts(1).build(),
            1);
    assertThat(f.isNonRetryable()).isTrue();
    assertThat(f.getType()).isEqualTo(ToolFailureTypes.RATE_LIMITED);
    assertThat(RateLimitWaits.waitOf(f)).isEqualTo(Duration.ofSeconds(3));
  }
}
