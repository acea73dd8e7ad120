package dev.gatehouse.registry.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.db.RegistryDatabase;
import dev.gatehouse.registry.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

class TaskHistoryDaoTest {

  @Test
  void pendingAreTheTasksThatEndedInTheWindowWithoutAHistoryNewestFirst() {
    try (TestDatabase db = TestDatabase.create()) {
      Jdbi jdbi = db.jdbi();
      TaskIndexDao tasks = jdbi.onDemand(TaskIndexDao.class);
      TaskHistoryDao histories = jdbi.onDemand(TaskHistoryDao.class);
      Instant now = Instant.now();
      tasks.insert("running", "ten_a", "agent-a", "pipeline", null, "h");
      for (String id : new String[] {"older", "newer", "outside"}) {
        tasks.insert(id, "ten_a", "agent-a", "pipeline", null, "h");
      }
      tasks.closeAt("older", "COMPLETED", null, null, now.minus(Duration.ofHours(2)));
      tasks.closeAt("newer", "FAILED", "step_failed", "boom", now.minus(Duration.ofHours(1)));
      tasks.closeAt("outside", "COMPLETED", null, null, now.minus(Duration.ofDays(8)));

      assertThat(ids(histories.claim(7, 1, 60))).containsExactly("newer");
      assertThat(ids(histories.claim(7, 10, 60))).as("the rest, not what is claimed").containsExactly("older");
      assertThat(histories.claim(7, 10, 60)).as("all claimed").isEmpty();
      assertThat(histories.release(java.util.List.of("newer", "older"))).isEqualTo(2);
      assertThat(ids(pending(histories))).containsExactly("newer", "older");
      // What dev mode's engine must keep: also a task that still runs, not one outside the window or unknown.
      var all = java.util.List.of("running", "older", "newer", "outside", "no-such-task");
      assertThat(histories.unarchivedAmong(all, 7)).containsExactlyInAnyOrder("running", "older", "newer");

      assertThat(histories.insert("newer", "ten_a", 1, 12, 3, new byte[] {1, 2, 3})).as("written").isTrue();
      assertThat(ids(pending(histories))).containsExactly("older");
      assertThat(histories.insert("newer", "ten_a", 1, 12, 3, new byte[] {1, 2, 3})).as("written once").isFalse();

      // The engine had lost it: a row without a history, and the task is no longer pending either.
      assertThat(histories.insert("older", "ten_a", 0, 0, 0, null)).isTrue();
      assertThat(histories.claim(7, 10, 60)).isEmpty();
      assertThat(histories.unarchivedAmong(all, 7)).containsExactly("running");
      assertThat(histories.find("older").orElseThrow().history()).isNull();
      assertThat(flag(jdbi, "running")).isFalse();
      assertThat(flag(jdbi, "outside")).isFalse();
    }
  }

  @Test
  void aRowAnotherReplicaWroteStillTakesTheTaskOffThePendingList() {
    try (TestDatabase db = TestDatabase.create()) {
      Jdbi jdbi = db.jdbi();
      TaskIndexDao tasks = jdbi.onDemand(TaskIndexDao.class);
      TaskHistoryDao histories = jdbi.onDemand(TaskHistoryDao.class);
      tasks.insert("t", "ten_a", "agent-a", "pipeline", null, "h");
      tasks.close("t", "COMPLETED", null, null);
      // The row without the flag: what a replica that has not migrated yet writes.
      jdbi.useHandle(h -> h.execute("INSERT INTO task_histories (task_id, tenant_id, runs, events, bytes) VALUES ('t', 'ten_a', 0, 0, 0)"));
      assertThat(ids(histories.claim(7, 10, 60))).containsExactly("t");

      assertThat(histories.insert("t", "ten_a", 1, 5, 3, new byte[] {1, 2, 3})).as("the other replica's row stays").isFalse();

      assertThat(histories.release(java.util.List.of("t"))).as("an archived task has no claim to give back").isZero();
      assertThat(histories.claim(7, 10, 60)).isEmpty();
      assertThat(histories.find("t").orElseThrow().history()).isNull();
    }
  }

  @Test
  void theMigrationFlagsTheTasksArchivedBeforeIt() {
    try (TestDatabase db = TestDatabase.createEmpty()) {
      RegistryDatabase.flyway(db.dataSource()).target("13").load().migrate();
      Jdbi jdbi = db.jdbi();
      jdbi.useHandle(h -> {
        for (String id : new String[] {"archived", "waiting", "running"}) {
          h.execute(
              "INSERT INTO tasks (id, tenant_id, agent_id, workflow, status, request_hash) VALUES (?, 'ten_a', 'agent-a', 'pipeline', 'RUNNING', 'h')", id);
        }
        h.execute("UPDATE tasks SET status = 'COMPLETED', closed_at = now() WHERE id IN ('archived', 'waiting')");
        h.execute("INSERT INTO task_histories (task_id, tenant_id, runs, events, bytes) VALUES ('archived', 'ten_a', 0, 0, 0)");
      });

      RegistryDatabase.migrate(db.dataSource());

      assertThat(flag(jdbi, "archived")).isTrue();
      assertThat(flag(jdbi, "waiting")).isFalse();
      assertThat(flag(jdbi, "running")).isFalse();
      assertThat(ids(jdbi.onDemand(TaskHistoryDao.class).claim(7, 10, 60))).containsExactly("waiting");
    }
  }

  @Test
  void aLeaseThatRanOutCanBeClaimedAgain() {
    try (TestDatabase db = TestDatabase.create()) {
      Jdbi jdbi = db.jdbi();
      TaskIndexDao tasks = jdbi.onDemand(TaskIndexDao.class);
      TaskHistoryDao histories = jdbi.onDemand(TaskHistoryDao.class);
      tasks.insert("t", "ten_a", "agent-a", "pipeline", null, "h");
      tasks.close("t", "COMPLETED", null, null);

      assertThat(ids(histories.claim(7, 10, 3600))).containsExactly("t");
      assertThat(histories.claim(7, 10, 3600)).as("leased for an hour").isEmpty();
      // The replica that claimed it died; its lease ran out.
      jdbi.useHandle(h -> h.execute("UPDATE tasks SET history_claimed_until = now() - interval '1 second' WHERE id = 't'"));
      assertThat(ids(histories.claim(7, 10, 3600))).containsExactly("t");
    }
  }

  @Test
  void replicasClaimingAtOnceNeverTakeTheSameTask() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      Jdbi jdbi = db.jdbi();
      TaskIndexDao tasks = jdbi.onDemand(TaskIndexDao.class);
      TaskHistoryDao histories = jdbi.onDemand(TaskHistoryDao.class);
      int count = 400;
      jdbi.useHandle(h -> h.execute(
          "INSERT INTO tasks (id, tenant_id, agent_id, workflow, status, request_hash, closed_at) "
              + "SELECT 't' || i, 'ten_a', 'agent-a', 'pipeline', 'COMPLETED', 'h', now() - i * interval '1 second' "
              + "FROM generate_series(1, ?) i", count));
      int replicas = 4;
      var pool = java.util.concurrent.Executors.newFixedThreadPool(replicas);
      try {
        var start = new java.util.concurrent.CountDownLatch(1);
        java.util.List<java.util.concurrent.Future<java.util.List<String>>> claims = new java.util.ArrayList<>();
        for (int r = 0; r < replicas; r++) {
          claims.add(pool.submit(() -> {
            start.await();
            java.util.List<String> mine = new java.util.ArrayList<>();
            java.util.List<TaskHistoryDao.Pending> batch;
            while (!(batch = histories.claim(7, 7, 60)).isEmpty()) {
              mine.addAll(ids(batch));
            }
            return mine;
          }));
        }
        start.countDown();
        java.util.List<String> all = new java.util.ArrayList<>();
        for (var claim : claims) {
          all.addAll(claim.get(1, java.util.concurrent.TimeUnit.MINUTES));
        }
        assertThat(all).as("every task claimed, each once").hasSize(count).doesNotHaveDuplicates();
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** The tasks a claim would take, without taking them. */
  private static java.util.List<TaskHistoryDao.Pending> pending(TaskHistoryDao histories) {
    java.util.List<TaskHistoryDao.Pending> claimed = histories.claim(7, 100, 60);
    if (!claimed.isEmpty()) {
      histories.release(ids(claimed));
    }
    return claimed;
  }

  private static java.util.List<String> ids(java.util.List<TaskHistoryDao.Pending> pending) {
    return pending.stream().map(TaskHistoryDao.Pending::id).toList();
  }

  private static boolean flag(Jdbi jdbi, String id) {
    return jdbi.withHandle(h -> h.createQuery("SELECT history_archived FROM tasks WHERE id = :id").bind("id", id).mapTo(Boolean.class).one());
  }
}
