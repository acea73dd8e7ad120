package dev.gatehouse.registry.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.testing.TestDatabase;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TaskIndexDaoTest {
  static TestDatabase db;
  static TaskIndexDao dao;

  @BeforeAll
  static void open() {
    db = TestDatabase.create();
    dao = db.jdbi().onDemand(TaskIndexDao.class);
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @Test
  void insertIsIdempotentAndCloseHappensOnce() {
    assertThat(dao.insert("t1", "ten_a", "agent-a", "pipeline", "k1", "h1")).isTrue();
    assertThat(dao.insert("t1", "ten_a", "agent-a", "pipeline", "k1", "h2")).isFalse();
    TaskRecord row = dao.find("t1").orElseThrow();
    assertThat(row.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(row.requestHash()).isEqualTo("h1");
    assertThat(row.createdAt()).isNotNull();
    assertThat(dao.close("t1", "FAILED", "step_failed", "boom")).isTrue();
    assertThat(dao.close("t1", "COMPLETED", null, null)).isFalse();
    row = dao.find("t1").orElseThrow();
    assertThat(row.status()).isEqualTo(TaskStatus.FAILED);
    assertThat(row.errorCode()).isEqualTo("step_failed");
    assertThat(row.closedAt()).isNotNull();
  }

  /** Dev mode's start closes what the engine lost: a task whose cancel was accepted ends CANCELED, as a cancel always does. */
  @Test
  void runningRowsAreClosedAsFailedOrAsCanceledWhenACancelWasAccepted() {
    dao.insert("lost-running", "ten_a", "lost-a", "pipeline", null, "h");
    dao.insert("lost-canceling", "ten_a", "lost-a", "pipeline", null, "h");
    dao.insert("lost-done", "ten_a", "lost-a", "pipeline", null, "h");
    assertThat(dao.requestCancel("lost-canceling")).isTrue();
    assertThat(dao.close("lost-done", "COMPLETED", null, null)).isTrue();

    int closed = dao.closeRunningBefore(OffsetDateTime.now().plusSeconds(5), "engine_reset", "lost", "canceled", "the task was canceled");

    assertThat(closed).isGreaterThanOrEqualTo(2);
    TaskRecord failed = dao.find("lost-running").orElseThrow();
    assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
    assertThat(failed.errorCode()).isEqualTo("engine_reset");
    TaskRecord canceled = dao.find("lost-canceling").orElseThrow();
    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(canceled.errorCode()).isEqualTo("canceled");
    assertThat(canceled.errorMessage()).isEqualTo("the task was canceled");
    assertThat(canceled.closedAt()).isNotNull();
    assertThat(dao.find("lost-done").orElseThrow().status()).isEqualTo(TaskStatus.COMPLETED);
  }

  /**
   * A dev restart closed a task that waited for an approval, and the call it had asked about kept
   * a {@code task.approval.request} row that nothing answered: the audit said it still waited.
   * The calls such tasks left waiting, and only those, get a {@code task.approval.cancel} row,
   * once, keyed as the workflow keys its own.
   */
  @Test
  void callsThatLostTasksLeftWaitingAreAuditedAsCancelledOnce() {
    dao.insert("ap-lost", "ten_a", "ap-a", "agent", null, "h");
    dao.insert("ap-done", "ten_a", "ap-a", "agent", null, "h");
    assertThat(dao.close("ap-done", "COMPLETED", null, null)).isTrue();
    request("ap-lost", "s1-c0"); // waits
    request("ap-lost", "s1-c1");
    answer("ap-lost", "s1-c1", "task.approval.approve", "ok"); // decided
    request("ap-lost", "s1-c2");
    answer("ap-lost", "s1-c2", "task.approval.deny", "approval_stale"); // a decision refused: still waits
    request("ap-lost", "s1-c3");
    answer("ap-lost", "s1-c3", "task.approval.expire", "expired");
    request("ap-done", "s1-c0"); // its task closed: not this start's to answer

    assertThat(dao.auditApprovalsLeftBefore(OffsetDateTime.now().plusSeconds(5))).isEqualTo(2);
    assertThat(dao.auditApprovalsLeftBefore(OffsetDateTime.now().plusSeconds(5))).isZero();

    List<String> written =
        db.jdbi().withHandle(h -> h.createQuery(
                "SELECT task_id || ' ' || target || ' ' || outcome || ' ' || detail || ' ' || dedupe_key FROM audit_log "
                    + "WHERE action = 'task.approval.cancel' ORDER BY target")
            .mapTo(String.class).list());
    assertThat(written).containsExactly(
        "ap-lost s1-c0 canceled demo.write sha-s1-c0 ap-lost/run1/task.approval.cancel/s1-c0",
        "ap-lost s1-c2 canceled demo.write sha-s1-c2 ap-lost/run1/task.approval.cancel/s1-c2");
  }

  private static void request(String task, String call) {
    db.jdbi().useHandle(h -> h.execute(
        "INSERT INTO audit_log (at, tenant_id, agent_id, actor, task_id, action, target, decision, outcome, policy, detail, dedupe_key) "
            + "VALUES (now(), 'ten_a', 'ap-a', ?, ?, 'task.approval.request', ?, 'ask', 'pending', 'approval', ?, ?)",
        "task " + task, task, call, "demo.write sha-" + call, task + "/run1/task.approval.request/" + call));
  }

  private static void answer(String task, String call, String action, String outcome) {
    db.jdbi().useHandle(h -> h.execute(
        "INSERT INTO audit_log (at, tenant_id, agent_id, actor, task_id, action, target, decision, outcome, policy) "
            + "VALUES (now(), 'ten_a', null, 'adm_1', ?, ?, ?, 'allow', ?, 'approval')",
        task, action, call, outcome));
  }

  @Test
  void overdueRowsAndRequestedCancelsAreFoundUntilTheyClose() {
    java.time.Instant now = java.time.Instant.now();
    dao.insert("d-past", "ten_a", "sweep-a", "pipeline", null, "h", now.minusSeconds(60));
    dao.insert("d-future", "ten_a", "sweep-a", "pipeline", null, "h", now.plusSeconds(3600));
    dao.insert("d-other", "ten_a", "sweep-b", "pipeline", null, "h", now.minusSeconds(30));
    dao.insert("d-none", "ten_a", "sweep-a", "pipeline", null, "h");
    assertThat(dao.overdue("sweep-a", 10)).extracting(TaskRecord::id).containsExactly("d-past");
    assertThat(dao.overdue(null, 100)).extracting(TaskRecord::id).contains("d-past", "d-other").doesNotContain("d-future", "d-none");
    assertThat(dao.find("d-past").orElseThrow().deadline()).isNotNull();

    assertThat(dao.requestCancel("d-future")).isTrue();
    java.time.Instant first = dao.find("d-future").orElseThrow().cancelRequestedAt();
    assertThat(dao.requestCancel("d-future")).isTrue();
    assertThat(dao.find("d-future").orElseThrow().cancelRequestedAt()).isEqualTo(first);
    assertThat(dao.cancelsRequestedBefore(now.plusSeconds(5), 100)).extracting(TaskRecord::id).containsExactly("d-future");
    assertThat(dao.cancelsRequestedBefore(now.minusSeconds(5), 100)).isEmpty();

    java.time.Instant closedAt = now.minusSeconds(45).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    assertThat(dao.closeAt("d-past", "TIMED_OUT", "timed_out", "late", closedAt)).isTrue();
    assertThat(dao.find("d-past").orElseThrow().closedAt()).isEqualTo(closedAt);
    assertThat(dao.overdue("sweep-a", 10)).isEmpty();
    dao.close("d-future", "CANCELED", "canceled", "x");
    assertThat(dao.requestCancel("d-future")).isFalse();
    assertThat(dao.cancelsRequestedBefore(now.plusSeconds(5), 100)).isEmpty();
  }

  /** tasks.retention: what closed before the cutoff goes, with its history and stored results; nothing else does. */
  @Test
  void tasksClosedBeforeACutoffAreDeletedWithTheirHistoriesAndResultsOldestFirst() {
    java.time.Instant now = java.time.Instant.now();
    TaskHistoryDao histories = db.jdbi().onDemand(TaskHistoryDao.class);
    TaskResultDao results = db.jdbi().onDemand(TaskResultDao.class);
    for (String id : List.of("r-old1", "r-old2", "r-old3", "r-recent", "r-running")) {
      dao.insert(id, "ten_r", "keeper", "pipeline", null, "h");
      results.insert("res_" + id, "ten_r", id, "tool-1.1", 1, 1, 1, new byte[] {1});
    }
    dao.closeAt("r-old1", "COMPLETED", null, null, now.minus(java.time.Duration.ofDays(40)));
    dao.closeAt("r-old2", "FAILED", "x", "y", now.minus(java.time.Duration.ofDays(35)));
    dao.closeAt("r-old3", "CANCELED", "canceled", "z", now.minus(java.time.Duration.ofDays(31)));
    dao.closeAt("r-recent", "COMPLETED", null, null, now.minus(java.time.Duration.ofDays(2)));
    histories.insert("r-old1", "ten_r", 1, 3, 1, new byte[] {1});
    histories.insert("r-recent", "ten_r", 1, 3, 1, new byte[] {1});

    java.time.Instant cutoff = now.minus(java.time.Duration.ofDays(30));
    assertThat(dao.deleteClosedBefore(cutoff, 2)).isEqualTo(2);
    assertThat(dao.find("r-old1")).isEmpty();
    assertThat(dao.find("r-old2")).isEmpty();
    assertThat(dao.find("r-old3")).as("past the batch: the next one").isPresent();
    assertThat(dao.deleteClosedBefore(cutoff, 2)).isEqualTo(1);
    assertThat(dao.deleteClosedBefore(cutoff, 2)).isZero();

    assertThat(histories.find("r-old1")).isEmpty();
    assertThat(results.find("res_r-old1", "ten_r", "r-old1")).isEmpty();
    assertThat(dao.find("r-recent")).isPresent();
    assertThat(histories.find("r-recent")).isPresent();
    assertThat(results.find("res_r-recent", "ten_r", "r-recent")).isPresent();
    assertThat(dao.find("r-running")).as("still running").isPresent();
  }

  @Test
  void pagesNewestFirstPerAgentWithAStatusFilter() {
    for (int i = 0; i < 5; i++) {
      dao.insert("p" + i, "ten_a", "pager", "pipeline", null, "h");
    }
    dao.insert("other", "ten_b", "someone-else", "pipeline", null, "h");
    dao.close("p1", "COMPLETED", null, null);
    dao.close("p3", "COMPLETED", null, null);

    List<String> seen = new ArrayList<>();
    OffsetDateTime afterCreated = null;
    String afterId = null;
    while (true) {
      List<TaskRecord> page = dao.page("pager", null, afterCreated, afterId, 2);
      page.forEach(r -> seen.add(r.id()));
      if (page.size() < 2) {
        break;
      }
      TaskRecord last = page.get(1);
      afterCreated = OffsetDateTime.ofInstant(last.createdAt(), ZoneOffset.UTC);
      afterId = last.id();
    }
    assertThat(seen).containsExactlyInAnyOrder("p0", "p1", "p2", "p3", "p4").doesNotHaveDuplicates();
    assertThat(dao.page("pager", "COMPLETED", null, null, 10)).extracting(TaskRecord::id).containsExactlyInAnyOrder("p1", "p3");
    assertThat(dao.page("pager", "RUNNING", null, null, 10)).hasSize(3);
  }
}
