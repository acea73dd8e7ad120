package dev.gatehouse.activities.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
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
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.HttpEndpoint;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.prometheus.client.CollectorRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tool chain as ToolInvoker assembles it, end to end: PostgreSQL for the registry and the audit
 * log, a real upstream on loopback, metrics on a CollectorRegistry of its own.
 */
class ToolInvokerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"days\":{\"type\":\"integer\",\"maximum\":7}}}";

  private static TestDatabase db;
  private static AuditLog audit;
  private static McpUpstreams mcpUpstreams;
  private static LoopbackUpstream upstream;
  private static CollectorRegistry registry;
  private static ToolInvoker invoker;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    upstream = LoopbackUpstream.start();
    upstream.route("/weather/Oslo", r -> new LoopbackUpstream.Answer(200, "{\"sky\":\"clear\"}"));
    upstream.route("/weather/Bergen", r -> new LoopbackUpstream.Answer(503, "{\"error\":\"busy\"}"));
    upstream.route("/weather/Deep", r -> new LoopbackUpstream.Answer(200, "[".repeat(501) + "]".repeat(501)));
    upstream.route("/weather/Deepish", r -> new LoopbackUpstream.Answer(200, "[".repeat(500) + "]".repeat(500)));
    db.jdbi().useExtension(TenantDao.class, t -> t.insert("ten_a", "a"));
    db.jdbi().useExtension(ToolDao.class, tools -> tools.insert(
        new ToolDefinition(
            "t.weather", "", new HttpEndpoint("GET", upstream.url("/weather/{city}"), Map.of()), json(SCHEMA),
            Duration.ofSeconds(5), RetrySpec.DEFAULT, "ten_a", null)));
    AgentDao agents = db.jdbi().onDemand(AgentDao.class);
    agents.insert(agent("agt_all", "*"));
    agents.insert(agent("agt_none", "other.*"));
    agents.insert(agent("agt_gone", "*"));
    agents.delete("agt_gone");

    audit = new AuditLog(db.jdbi(), 100, Duration.ofMillis(10));
    registry = new CollectorRegistry();
    GatehouseMetrics metrics = new GatehouseMetrics(registry);
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

  private static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static Agent agent(String id, String allow) {
    return new Agent(id, "ten_a", id, null, new Permissions(new AccessList(List.of(allow), List.of()), null, null), null, null);
  }

  private static ToolCall call(String tool, String args, String agentId, String taskId, int attempt) {
    return ToolCall.of(tool, json(args), new Caller("ten_a", agentId, List.of()), new CallContext(taskId, "act-1", attempt));
  }

  private static AuditDao.Row auditRowOf(String taskId) throws InterruptedException {
    audit.flush();
    List<AuditDao.Row> rows =
        db.jdbi().withExtension(AuditDao.class, dao -> dao.page("ten_a", null, "tool.call", null, null, null, null, 100));
    return rows.stream().filter(r -> taskId.equals(r.taskId())).reduce((a, b) -> { throw new AssertionError("two rows for " + taskId); })
        .orElseThrow(() -> new AssertionError("no audit row for " + taskId));
  }

  private static Double attempts(String outcome, String retry) {
    return registry.getSampleValue(
        "gatehouse_tool_call_attempts_total", new String[] {"tool", "outcome", "retry"}, new String[] {"t.weather", outcome, retry});
  }

  @Test
  void anAllowedCallAnswersAndIsAuditedAndCounted() throws Exception {
    ToolCallResult result = invoker.invoke(call("t.weather", "{\"city\":\"Oslo\",\"days\":2}", "agt_all", "task-ok", 2));

    assertThat(result.status()).isEqualTo(200);
    assertThat(result.output().get("sky").asText()).isEqualTo("clear");
    AuditDao.Row row = auditRowOf("task-ok");
    assertThat(row.agentId()).isEqualTo("agt_all");
    assertThat(row.target()).isEqualTo("t.weather");
    assertThat(row.decision()).isEqualTo("allow");
    assertThat(row.outcome()).isEqualTo("ok");
    assertThat(row.policy()).isNull();
    assertThat(row.detail()).isEqualTo("attempt 2");
    assertThat(attempts("ok", "true")).isEqualTo(1.0);
  }

  @Test
  void aToolTheAgentMayNotUseIsDeniedWithoutCallingTheUpstream() throws Exception {
    int before = upstream.requests("/weather/Oslo").size();

    assertThatThrownBy(() -> invoker.invoke(call("t.weather", "{\"city\":\"Oslo\"}", "agt_none", "task-denied", 1)))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.TOOL_NOT_ALLOWED);
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).isEqualTo("this agent may not use tool 't.weather'");
        });
    assertThat(upstream.requests("/weather/Oslo")).hasSize(before);
    AuditDao.Row row = auditRowOf("task-denied");
    assertThat(row.decision()).isEqualTo("deny");
    assertThat(row.outcome()).isEqualTo("tool_not_allowed");
    assertThat(row.policy()).isEqualTo("access");
    assertThat(attempts("tool_not_allowed", "false")).isEqualTo(1.0);
  }

  @Test
  void argumentsAgainstTheSchemaAreInvalidArguments() throws Exception {
    assertThatThrownBy(() -> invoker.invoke(call("t.weather", "{\"city\":\"Oslo\",\"days\":30}", "agt_all", "task-args", 1)))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.INVALID_ARGUMENTS);
          assertThat(e.retryable()).isFalse();
        });
    AuditDao.Row row = auditRowOf("task-args");
    assertThat(row.decision()).isEqualTo("deny");
    assertThat(row.outcome()).isEqualTo("invalid_arguments");
    assertThat(row.policy()).isEqualTo("argument-schema");
  }

  @Test
  void anUnknownToolIsAFailureNotADenial() throws Exception {
    assertThatThrownBy(() -> invoker.invoke(call("t.nothing", "{}", "agt_all", "task-unknown", 1)))
        .isInstanceOfSatisfying(ToolCallException.class, e -> assertThat(e.type()).isEqualTo(ToolFailureTypes.UNKNOWN_TOOL));
    AuditDao.Row row = auditRowOf("task-unknown");
    assertThat(row.decision()).isEqualTo("allow");
    assertThat(row.outcome()).isEqualTo("unknown_tool");
    assertThat(row.policy()).isNull();
    String[] labels = {"tool", "outcome", "retry"};
    assertThat(registry.getSampleValue("gatehouse_tool_call_attempts_total", labels, new String[] {"(unknown)", "unknown_tool", "false"}))
        .as("a name that is no tool is not a label: a caller could add series without end")
        .isEqualTo(1.0);
    assertThat(registry.getSampleValue("gatehouse_tool_call_attempts_total", labels, new String[] {"t.nothing", "unknown_tool", "false"}))
        .isNull();
  }

  @Test
  void aDeletedAgentIsDeniedBeforeItsToolIsLookedUp() throws Exception {
    assertThatThrownBy(() -> invoker.invoke(call("t.nothing", "{}", "agt_gone", "task-gone", 1)))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.TOOL_NOT_ALLOWED);
          assertThat(e.getMessage()).isEqualTo("the agent of this task no longer exists");
        });
    assertThat(auditRowOf("task-gone").policy()).isEqualTo("access");
  }

  @Test
  void anUpstreamErrorKeepsItsTypeAndRetryability() throws Exception {
    assertThatThrownBy(() -> invoker.invoke(call("t.weather", "{\"city\":\"Bergen\"}", "agt_all", "task-503", 1)))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.UPSTREAM_ERROR);
          assertThat(e.retryable()).isTrue();
          assertThat(e.httpStatus()).isEqualTo(503);
        });
    AuditDao.Row row = auditRowOf("task-503");
    assertThat(row.decision()).isEqualTo("allow");
    assertThat(row.outcome()).isEqualTo("upstream_error");
  }

  /**
   * An answer nested deeper than an output may be fails its call with a code: read at JSON's 1,000
   * levels, it could not be written again inside the activity's result (a probe saw Java's words
   * in the task's error and in what the agent's model was sent).
   */
  @Test
  void anAnswerNestedTooDeepIsResponseTooLarge() throws Exception {
    assertThatThrownBy(() -> invoker.invoke(call("t.weather", "{\"city\":\"Deep\"}", "agt_all", "task-deep", 1)))
        .isInstanceOfSatisfying(ToolCallException.class, e -> {
          assertThat(e.type()).isEqualTo(ToolFailureTypes.RESPONSE_TOO_LARGE);
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).isEqualTo("the tool's answer nests more than 500 levels deep; at most 500 are allowed");
        });
    assertThat(auditRowOf("task-deep").outcome()).isEqualTo("response_too_large");
    assertThat(invoker.invoke(call("t.weather", "{\"city\":\"Deepish\"}", "agt_all", "task-deepish", 1)).status()).isEqualTo(200);
  }

  @Test
  void theAgentAsAuthenticatedIsTrustedOnTheDirectPath() {
    // Never stored: reading it from PostgreSQL would deny the call.
    Agent direct = new Agent("agt_direct", "ten_a", "direct", null, Permissions.ALL, null, null);
    ToolCall call = call("t.weather", "{\"city\":\"Oslo\"}", "agt_direct", "task-direct", 1).authenticatedAs(direct);

    assertThat(invoker.invoke(call).status()).isEqualTo(200);
  }
}
