package dev.gatehouse.activities.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.audit.AuditDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.workflows.tool.Caller;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The audit step writes one row per call, with what was decided and how it ended, to PostgreSQL. */
class RecordAuditTest {
  private static TestDatabase db;
  private static AuditLog log;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    log = new AuditLog(db.jdbi(), 100, Duration.ofMillis(10));
  }

  @AfterAll
  static void stop() throws Exception {
    log.close();
    db.close();
  }

  private static PolicyChain<Exchange<SampleCall, String>, String> chain(
      PolicyStep<Exchange<SampleCall, String>> policy, UpstreamCall<Exchange<SampleCall, String>, String> call) {
    return new PolicyChain<>(List.of(new RecordAudit(log, "tool.call"), policy), call, SampleCall.FAILURES);
  }

  private static AuditDao.Row onlyRowOf(String tenant) throws InterruptedException {
    log.flush();
    List<AuditDao.Row> rows =
        db.jdbi().withExtension(AuditDao.class, dao -> dao.page(tenant, null, null, null, null, null, null, 10));
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  @Test
  void anAllowedCallIsRecordedWithWhoWhatAttemptAndLatency() throws Exception {
    SampleCall call = new SampleCall("t.weather", new Caller("ten_ok", "agt_1", List.of()), null, "task-7", 2);
    chain(new PolicyStep<>() {}, x -> {
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "sunny";
    }).run(new Exchange<>(call));

    AuditDao.Row row = onlyRowOf("ten_ok");
    assertThat(row.agentId()).isEqualTo("agt_1");
    assertThat(row.actor()).isEqualTo("agt_1");
    assertThat(row.requestId()).isNull();
    assertThat(row.taskId()).isEqualTo("task-7");
    assertThat(row.action()).isEqualTo("tool.call");
    assertThat(row.target()).isEqualTo("t.weather");
    assertThat(row.decision()).isEqualTo("allow");
    assertThat(row.outcome()).isEqualTo("ok");
    assertThat(row.policy()).isNull();
    assertThat(row.detail()).isEqualTo("attempt 2");
    assertThat(row.latencyMs()).isBetween(25, 5_000);
  }

  @Test
  void aDenialIsRecordedAsDenyWithThePolicyThatDecided() throws Exception {
    PolicyStep<Exchange<SampleCall, String>> deny =
        new PolicyStep<>() {
          @Override
          public Decision before(Exchange<SampleCall, String> x) {
            return Decision.deny("argument-schema", "InvalidArguments", "no");
          }
        };
    SampleCall call = SampleCall.of("t.weather", new Caller("ten_deny", "agt_1", List.of()));
    assertThatThrownBy(() -> chain(deny, x -> "never").run(new Exchange<>(call)));

    AuditDao.Row row = onlyRowOf("ten_deny");
    assertThat(row.decision()).isEqualTo("deny");
    assertThat(row.policy()).isEqualTo("argument-schema");
    assertThat(row.outcome()).isEqualTo("invalid_arguments");
    assertThat(row.detail()).isEqualTo("attempt 1");
  }

  @Test
  void aFailedCallIsAllowedWithItsFailureTypeInSnakeCase() throws Exception {
    SampleCall call = SampleCall.of("t.weather", new Caller("ten_fail", "agt_1", List.of()));
    assertThatThrownBy(
        () -> chain(new PolicyStep<>() {}, x -> { throw new SampleCall.Failure("UpstreamClientError", "404"); })
            .run(new Exchange<>(call)));
    assertThatThrownBy(
        () -> chain(new PolicyStep<>() {}, x -> { throw new IllegalStateException("bug"); }).run(new Exchange<>(call)));

    log.flush();
    List<AuditDao.Row> rows =
        db.jdbi().withExtension(AuditDao.class, dao -> dao.page("ten_fail", null, null, null, null, null, null, 10));
    assertThat(rows).extracting(AuditDao.Row::outcome).containsExactly("internal_error", "upstream_client_error");
    assertThat(rows).extracting(AuditDao.Row::decision).containsOnly("allow");
    assertThat(rows).extracting(AuditDao.Row::policy).containsOnlyNulls();
  }

  @Test
  void aCallWithoutACallerIsRecordedWithoutTenantOrAgent() throws Exception {
    SampleCall call = new SampleCall("t.orphan", null, null, "task-orphan", 1);
    chain(new PolicyStep<>() {}, x -> "ok").run(new Exchange<>(call));

    log.flush();
    List<AuditDao.Row> rows =
        db.jdbi().withExtension(AuditDao.class, dao -> dao.page(null, null, null, null, null, null, null, 100));
    assertThat(rows).filteredOn(r -> "task-orphan".equals(r.taskId())).singleElement().satisfies(r -> {
      assertThat(r.tenantId()).isNull();
      assertThat(r.agentId()).isNull();
      assertThat(r.target()).isEqualTo("t.orphan");
    });
  }
}
