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

      assertThat(histories.unarchived(7, 10)).extracting(TaskHistoryDao.Pending::id).containsExactly("newer", "older");
      assertThat(histories.unarchived(7, 1)).extracting(TaskHistoryDao.Pending::id).containsExactly("newer");
      // What dev mode's engine must keep: also a task that still runs, not one outside the window or unknown.
      var all = java.util.List.of("running", "older", "newer", "outside", "no-such-task");
      assertThat(histories.unarchivedAmong(all, 7)).containsExactlyInAnyOrder("running", "older", "newer");

      assertThat(histories.insert("newer", "ten_a", 1, 12, 3, new byte[] {1, 2, 3})).as("written").isTrue();
      assertThat(histories.unarchived(7, 10)).extracting(TaskHistoryDao.Pending::id).containsExactly("older");
      assertThat(histories.insert("newer", "ten_a", 1, 12, 3, new byte[] {1, 2, 3})).as("written once").isFalse();

      // The engine had lost it: a row without a history, and the task is no longer pending either.
      assertThat(histories.insert("older", "ten_a", 0, 0, 0, null)).isTrue();
      assertThat(histories.unarchived(7, 10)).isEmpty();
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
      assertThat(histories.unarchived(7, 10)).extracting(TaskHistoryDao.Pending::id).containsExactly("t");

      assertThat(histories.insert("t", "ten_a", 1, 5, 3, new byte[] {1, 2, 3})).as("the other replica's row stays").isFalse();

      assertThat(histories.unarchived(7, 10)).isEmpty();
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
      assertThat(jdbi.onDemand(TaskHistoryDao.class).unarchived(7, 10)).extracting(TaskHistoryDao.Pending::id).containsExactly("waiting");
    }
  }

  private static boolean flag(Jdbi jdbi, String id) {
    return jdbi.withHandle(h -> h.createQuery("SELECT history_archived FROM tasks WHERE id = :id").bind("id", id).mapTo(Boolean.class).one());
  }
}
