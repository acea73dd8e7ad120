package dev.gatehouse.activities.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.audit.AuditEvent;
import dev.gatehouse.registry.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AuditLogTest {

  private static AuditEvent event(int i) {
    return new AuditEvent(Instant.now(), "ten_a", "agt_a", "agt_a", "req_" + i, null, "tool.call", "t.x", "allow", "ok", 1, null, null);
  }

  private static long rows(TestDatabase db) {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM audit_log").mapTo(Long.class).one());
  }

  /**
   * A batch goes to PostgreSQL as one COPY: every column comes back as it was recorded, text
   * that COPY's format must escape and nulls included.
   */
  @Test
  void aBatchOfRowsComesBackExactlyAsRecorded() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      String awkward = "tab\there, line\nfeed\r, back\\slash \\N, \u00e9\ud83d\ude00";
      Instant at = Instant.parse("2026-11-29T10:15:30.123456Z");
      AuditEvent full = new AuditEvent(at, "ten_a", "agt_a", "adm_x", "req_1", "tsk_1", "tool.call", awkward, "deny", "denied", 17, "policy-v3", awkward);
      AuditEvent sparse = new AuditEvent(at, "ten_a", null, "agt_a", null, null, "model.call", "m", "allow", "ok", null, null, null);
      db.jdbi().useExtension(dev.gatehouse.registry.audit.AuditDao.class, dao -> dao.append(java.util.List.of(full, sparse, full)));
      var back =
          db.jdbi()
              .withHandle(
                  h ->
                      h.createQuery(
                              "SELECT at, tenant_id, agent_id, actor, request_id, task_id, action, target, decision, outcome, latency_ms, policy, detail "
                                  + "FROM audit_log ORDER BY id")
                          .map(
                              (rs, ctx) ->
                                  new AuditEvent(
                                      rs.getObject("at", java.time.OffsetDateTime.class).toInstant(),
                                      rs.getString("tenant_id"),
                                      rs.getString("agent_id"),
                                      rs.getString("actor"),
                                      rs.getString("request_id"),
                                      rs.getString("task_id"),
                                      rs.getString("action"),
                                      rs.getString("target"),
                                      rs.getString("decision"),
                                      rs.getString("outcome"),
                                      (Integer) rs.getObject("latency_ms"),
                                      rs.getString("policy"),
                                      rs.getString("detail")))
                          .list());
      assertThat(back).containsExactly(full, sparse, full);
    }
  }

  /** Rows with keys are written once each: one whose key the log holds is skipped, the rest of its batch written. */
  @Test
  void rowsRecordedOnceAreNotWrittenAgain() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      AuditLog log = new AuditLog(db.jdbi(), 100, Duration.ofSeconds(30));
      log.record(event(0)); // rows without a key are never skipped
      log.record(event(0));
      log.flush();
      log.recordOnce(java.util.List.of(event(1), event(2)), java.util.List.of("k1", "k2"));
      log.recordOnce(java.util.List.of(event(1), event(3)), java.util.List.of("k1", "k3"));
      log.recordOnce(java.util.List.of(event(1), event(2), event(3)), java.util.List.of("k1", "k2", "k3"));
      log.close();
      java.util.List<String> written =
          db.jdbi().withHandle(h -> h.createQuery("SELECT request_id FROM audit_log ORDER BY id").mapTo(String.class).list());
      assertThat(written).containsExactly("req_0", "req_0", "req_1", "req_2", "req_3");
    }
  }

  @Test
  void aCleanShutdownWritesEverythingQueued() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      // A long interval: nothing would be written before close() without the final drain.
      AuditLog log = new AuditLog(db.jdbi(), 10_000, Duration.ofSeconds(30));
      for (int i = 0; i < 2_500; i++) {
        log.record(event(i));
      }
      log.close();
      assertThat(rows(db)).isEqualTo(2_500);
    }
  }

  @Test
  void rowsRecordedCloseTogetherShareOneInsert() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      AuditLog log = new AuditLog(db.jdbi(), 10_000, Duration.ofMillis(200));
      // 200 rows over about 40 ms (a call every 0.2 ms): without lingering each would be its own insert.
      for (int i = 0; i < 200; i++) {
        log.record(event(i));
        Thread.sleep(0, 200_000);
      }
      log.flush();
      assertThat(rows(db)).isEqualTo(200);
      assertThat(log.batchesWritten()).isLessThanOrEqualTo(5);
      log.close();
    }
  }

  @Test
  void aFullQueueMakesTheCallerWriteInsteadOfDropping() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      AuditLog log = new AuditLog(db.jdbi(), 1, Duration.ofSeconds(30));
      for (int i = 0; i < 50; i++) {
        log.record(event(i));
      }
      log.close();
      assertThat(rows(db)).isEqualTo(50);
    }
  }

  @Test
  void flushReturnsOnlyOnceEveryRowRecordedBeforeItIsWritten() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      // The writer lingers as long as its interval: a flush that waited one interval after the queue
      // emptied would return while the batch is still on its way.
      AuditLog log = new AuditLog(db.jdbi(), 10_000, Duration.ofMillis(10));
      for (int i = 1; i <= 20; i++) {
        log.record(event(i));
        log.flush();
        assertThat(rows(db)).isEqualTo(i);
      }
      log.close();
    }
  }
}
