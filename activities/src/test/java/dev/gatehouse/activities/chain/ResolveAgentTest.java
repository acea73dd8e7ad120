package dev.gatehouse.activities.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.agents.AccessList;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.agents.AgentStatements;
import dev.gatehouse.registry.agents.Permissions;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.workflows.tool.Caller;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent a call is made for: as authenticated, else as it is now in PostgreSQL; gone means denied. */
class ResolveAgentTest {
  private static TestDatabase db;
  private static AgentDao agents;
  private static ResolveAgent step;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    db.jdbi().useExtension(TenantDao.class, t -> {
      t.insert("ten_a", "a");
      t.insert("ten_b", "b");
    });
    agents = db.jdbi().onDemand(AgentDao.class);
    step = new ResolveAgent(new AgentStatements(db.jdbi()), "tool_not_allowed");
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static Agent agent(String id, String tenant, String... allow) {
    return new Agent(id, tenant, id, null, new Permissions(new AccessList(List.of(allow), List.of()), null, null), null, null);
  }

  private static Exchange<SampleCall, String> exchange(Caller caller, Agent authenticated) {
    return new Exchange<>(new SampleCall("t.echo", caller, authenticated, null, 1));
  }

  private static void assertGone(Exchange<SampleCall, String> x) {
    Decision d = step.before(x);
    assertThat(d.allowed()).isFalse();
    assertThat(d.policy()).isEqualTo("access");
    assertThat(d.code()).isEqualTo("tool_not_allowed");
    assertThat(d.reason()).isEqualTo("the agent of this task no longer exists");
    assertThat(x.agent()).isNull();
  }

  @Test
  void theAgentAsAuthenticatedIsUsedWithoutReadingItAgain() {
    // Not in the database at all: reading it would deny the call.
    Agent authenticated = agent("agt_direct", "ten_a", "*");
    Exchange<SampleCall, String> x = exchange(new Caller("ten_a", "agt_direct", List.of()), authenticated);

    assertThat(step.before(x).allowed()).isTrue();
    assertThat(x.agent()).isSameAs(authenticated);
  }

  @Test
  void withoutOneTheAgentIsReadAsItIsNow() {
    agents.insert(agent("agt_now", "ten_a", "old.*"));
    agents.update("agt_now", "agt_now", null, new Permissions(new AccessList(List.of("new.*"), List.of()), null, null));
    Exchange<SampleCall, String> x = exchange(new Caller("ten_a", "agt_now", List.of()), null);

    assertThat(step.before(x).allowed()).isTrue();
    assertThat(x.agent().permissions().tools().allow()).containsExactly("new.*");
  }

  @Test
  void aDeletedAgentIsDenied() {
    agents.insert(agent("agt_deleted", "ten_a", "*"));
    agents.delete("agt_deleted");

    assertGone(exchange(new Caller("ten_a", "agt_deleted", List.of()), null));
  }

  @Test
  void anAuthenticatedAgentThatIsNotTheCallersDoesNotStandInForIt() {
    agents.insert(agent("agt_gone_too", "ten_a", "*"));
    agents.delete("agt_gone_too");

    assertGone(exchange(new Caller("ten_a", "agt_gone_too", List.of()), agent("agt_other", "ten_a", "*")));
  }

  @Test
  void anAgentOfAnotherTenantIsDenied() {
    agents.insert(agent("agt_of_b", "ten_b", "*"));

    assertGone(exchange(new Caller("ten_a", "agt_of_b", List.of()), null));
    assertGone(exchange(new Caller("ten_a", "agt_of_b", List.of()), agent("agt_of_b", "ten_b", "*")));
  }

  @Test
  void aCallWithoutACallerIsDenied() {
    assertGone(exchange(null, null));
  }
}
