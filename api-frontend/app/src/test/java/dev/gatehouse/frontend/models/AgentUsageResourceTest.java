package dev.gatehouse.frontend.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.frontend.core.auth.Caller;
import dev.gatehouse.frontend.core.auth.CallerSecurityContext;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.usage.UsageDao;
import dev.gatehouse.registry.usage.UsageRecord;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An agent's own usage on a real PostgreSQL, called as Jersey calls it (the HTTP round trip is
 * tested once the resource is wired into the models face): only the caller's calls count, whatever
 * else is in the table.
 */
class AgentUsageResourceTest {
  static final Instant NOW = Instant.parse("2027-03-10T12:00:00Z");
  static TestDatabase db;
  static AgentUsageResource resource;

  static CallerSecurityContext agent(String tenant, String id) {
    return new CallerSecurityContext(new Caller.AgentCaller(new Agent(id, tenant, id, null, null, NOW, NOW), List.of(), "key", null), true);
  }

  static UsageRecord row(String tenant, String agent, String model, String task, long in) {
    return new UsageRecord(NOW.minusSeconds(600), tenant, agent, model, "p", "pm", "chat", in, 0, 1, 0, false, null, 10, 5L,
        "ok", true, task, task == null ? null : "summary", null);
  }

  @BeforeAll
  static void open() {
    db = TestDatabase.create();
    db.jdbi().onDemand(UsageDao.class).insert(List.of(
        row("ten_a", "agt_a", "fast", "task-1", 10),
        row("ten_a", "agt_a", "smart", null, 20),
        row("ten_a", "agt_a", "fast", null, 30),
        row("ten_a", "agt_other", "fast", null, 1000),
        // The same agent id under another tenant is another agent.
        row("ten_b", "agt_a", "fast", null, 5000)));
    resource = new AgentUsageResource(db.jdbi(), Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @Test
  void anAgentSeesOnlyItsOwnUsage() {
    AgentUsageResource.Report r = resource.report(agent("ten_a", "agt_a"), null, null, null, null, null, null);
    assertThat(r.totals().calls()).isEqualTo(3);
    assertThat(r.totals().inputTokens()).isEqualTo(60);
    assertThat(r.days()).hasSize(1);
    assertThat(resource.report(agent("ten_a", "agt_a"), "fast", null, null, null, null, null).totals().inputTokens()).isEqualTo(40);
    assertThat(resource.report(agent("ten_a", "agt_a"), null, "task-1", null, null, null, null).totals().calls()).isEqualTo(1);
    assertThat(resource.report(agent("ten_a", "agt_nobody"), null, null, null, null, null, null).totals().calls()).isZero();
  }

  @Test
  void callsArePagedAndQueryParametersChecked() {
    AgentUsageResource.Calls first = resource.calls(agent("ten_a", "agt_a"), null, null, null, null, "2", null, null, null);
    assertThat(first.items()).hasSize(2).allSatisfy(row -> assertThat(row.agentId()).isEqualTo("agt_a"));
    AgentUsageResource.Calls rest = resource.calls(agent("ten_a", "agt_a"), null, null, null, null, "2", first.nextCursor(), null, null);
    assertThat(rest.items()).hasSize(1);
    assertThat(rest.nextCursor()).isNull();
    assertThat(rest.items().get(0).tenantId()).isEqualTo("ten_a");

    CallerSecurityContext me = agent("ten_a", "agt_a");
    Map<String, ThrowingCallable> bad = new LinkedHashMap<>();
    bad.put("since not a time", () -> resource.report(me, null, null, "last week", null, null, null));
    bad.put("until without an offset", () -> resource.report(me, null, null, null, "2027-03-01", null, null));
    bad.put("range over 400 days", () -> resource.report(me, null, null, "2026-01-01T00:00:00Z", "2027-03-01T00:00:00Z", null, null));
    bad.put("limit 0", () -> resource.calls(me, null, null, null, null, "0", null, null, null));
    bad.put("limit not a number", () -> resource.calls(me, null, null, null, null, "x", null, null, null));
    bad.put("cursor not base64", () -> resource.calls(me, null, null, null, null, null, "!!", null, null));
    bad.put("cursor not an id", () -> resource.calls(me, null, null, null, null, null, "LTE", null, null));
    // the admin API's filters, refused rather than ignored (the answer was the caller's own usage)
    bad.put("tenant", () -> resource.report(me, null, null, null, null, "ten_b", null));
    bad.put("agent", () -> resource.report(me, null, null, null, null, null, "agt_b"));
    bad.put("agent of the calls", () -> resource.calls(me, null, null, null, null, null, null, null, "agt_a"));
    bad.forEach((what, call) -> assertThatThrownBy(call)
        .as(what)
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(ErrorCode.INVALID_REQUEST)));
  }
}
