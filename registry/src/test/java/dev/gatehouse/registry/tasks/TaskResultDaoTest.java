package dev.gatehouse.registry.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.testing.TestDatabase;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code task_results} on the real PostgreSQL: reads scoped to task and tenant, partial reads, and deletion after retention. */
class TaskResultDaoTest {
  static TestDatabase db;
  static TaskResultDao dao;
  static TaskIndexDao tasks;

  @BeforeAll
  static void open() {
    db = TestDatabase.create();
    dao = db.jdbi().onDemand(TaskResultDao.class);
    tasks = db.jdbi().onDemand(TaskIndexDao.class);
  }

  @AfterAll
  static void close() {
    db.close();
  }

  private static void store(String id, String tenant, String task, String text) {
    byte[] encoded = StoredText.encode(text);
    dao.insert(id, tenant, task, "tool-1.1", text.length(), text.length(), encoded.length, encoded);
  }

  @Test
  void aResultIsFoundOnlyByItsTaskWithinItsTenant() {
    store("res_find", "ten_a", "task_1", "hello\u0000world");
    TaskResultDao.Stored row = dao.find("res_find", "ten_a", "task_1").orElseThrow();
    assertThat(StoredText.decode(row.content())).as("a NUL is kept").isEqualTo("hello\u0000world");
    assertThat(row.chars()).isEqualTo(11);
    assertThat(row.createdAt()).isNotNull();
    assertThat(dao.find("res_find", "ten_b", "task_1")).isEmpty();
    assertThat(dao.find("res_find", "ten_a", "task_2")).isEmpty();
    assertThat(dao.sizes(List.of("res_find", "res_none"), "ten_a", "task_1")).extracting(TaskResultDao.Size::id).containsExactly("res_find");
    assertThat(dao.sizes(List.of("res_find"), "ten_b", "task_1")).isEmpty();
    assertThat(dao.starts(List.of("res_find"), "ten_a", "task_2", 100)).isEmpty();
  }

  @Test
  void theStartOfAResultIsReadWithoutTheRest() {
    // Text that does not compress: every character is random, from the basic plane beyond ASCII.
    java.util.Random random = new java.util.Random(7);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 60_000; i++) {
      sb.append((char) (0x4E00 + random.nextInt(0x5000)));
    }
    String text = sb.toString();
    store("res_start", "ten_a", "task_s", text);
    int bytes = StoredText.startBytes(16_384);
    TaskResultDao.Start start = dao.starts(List.of("res_start"), "ten_a", "task_s", bytes).get(0);
    assertThat(start.content().length).isEqualTo(bytes);
    assertThat(StoredText.decodeStart(start.content(), 16_384)).isEqualTo(text.substring(0, 16_384));
    assertThat(start.chars()).isEqualTo(60_000);
  }

  @Test
  void resultsAreDeletedOnceTheirTaskEndedBeforeTheCutOffNeverWhileItRuns() {
    Instant now = Instant.now();
    tasks.insert("t_old", "ten_a", "agent-a", "agent", null, "h");
    tasks.insert("t_running", "ten_a", "agent-a", "agent", null, "h");
    tasks.insert("t_recent", "ten_a", "agent-a", "agent", null, "h");
    store("res_old", "ten_a", "t_old", "old");
    store("res_running", "ten_a", "t_running", "running");
    store("res_recent", "ten_a", "t_recent", "recent");
    store("res_orphan", "ten_a", "t_unknown", "orphan");
    tasks.closeAt("t_old", "COMPLETED", null, null, now.minusSeconds(10 * 86_400));
    tasks.close("t_recent", "COMPLETED", null, null);
    db.jdbi().useHandle(h -> h.execute("UPDATE task_results SET created_at = now() - interval '10 days' WHERE id IN ('res_old', 'res_running', 'res_recent', 'res_orphan')"));

    Instant cutOff = now.minusSeconds(7 * 86_400);
    assertThat(dao.deleteEnded(cutOff, 100)).isEqualTo(2);
    assertThat(dao.find("res_old", "ten_a", "t_old")).isEmpty();
    assertThat(dao.find("res_orphan", "ten_a", "t_unknown")).isEmpty();
    assertThat(dao.find("res_running", "ten_a", "t_running")).as("its task still runs").isPresent();
    assertThat(dao.find("res_recent", "ten_a", "t_recent")).as("its task ended within the window").isPresent();
    assertThat(dao.deleteEnded(cutOff, 100)).isZero();
  }

  @Test
  void decodingStopsWhereAskedAndNeverSplitsAPair() {
    String face = "\uD83D\uDE00";
    String text = "ab" + face + "cd";
    byte[] encoded = StoredText.encode(text);
    assertThat(StoredText.decode(encoded)).isEqualTo(text);
    assertThat(StoredText.decodeStart(encoded, 3)).isEqualTo("ab");
    assertThat(StoredText.decodeStart(encoded, 4)).isEqualTo("ab" + face);
    assertThat(StoredText.decodeStart(encoded, 100)).isEqualTo(text);
    // A start cut anywhere inside the compressed stream reads as the text's start.
    String ascii = "x".repeat(5_000) + "y".repeat(5_000);
    byte[] whole = StoredText.encode(ascii);
    for (int n = 1; n < whole.length; n += 7) {
      assertThat(ascii).startsWith(StoredText.decodeStart(java.util.Arrays.copyOf(whole, n), 10_000));
    }
  }
}
