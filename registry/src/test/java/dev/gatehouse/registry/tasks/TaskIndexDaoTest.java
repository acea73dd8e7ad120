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
