package dev.gatehouse.activities.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.usage.UsageRecord;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsageLogTest {

  private static UsageRecord row(int i) {
    return row("req_" + i);
  }

  private static UsageRecord row(String requestId) {
    return new UsageRecord(Instant.now(), "ten_a", "agt_a", "fast", "openai-main", "gpt-x", "chat", 10, 2, 5, 1, false,
        new BigDecimal("0.00001"), 120, null, "ok", false, null, null, requestId);
  }

  private static long rows(TestDatabase db) {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM model_usage").mapTo(Long.class).one());
  }

  @Test
  void aCleanShutdownWritesEverythingQueued() {
    try (TestDatabase db = TestDatabase.create()) {
      // A long interval: nothing would be written before close() without the final drain.
      UsageLog log = new UsageLog(db.jdbi(), 10_000, Duration.ofSeconds(30));
      for (int i = 0; i < 2_500; i++) {
        log.record(row(i));
      }
      log.close();
      assertThat(rows(db)).isEqualTo(2_500);
      assertThat(log.dropped()).isZero();
    }
  }

  @Test
  void rowsRecordedCloseTogetherShareOneInsert() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      UsageLog log = new UsageLog(db.jdbi(), 10_000, Duration.ofMillis(200));
      // 200 rows over about 40 ms: without lingering each would be its own insert.
      for (int i = 0; i < 200; i++) {
        log.record(row(i));
        Thread.sleep(0, 200_000);
      }
      log.flush();
      assertThat(rows(db)).isEqualTo(200);
      assertThat(log.batchesWritten()).isLessThanOrEqualTo(5);
      log.close();
    }
  }

  @Test
  void aFullQueueDropsAndCountsWithoutBlockingTheCaller() {
    try (TestDatabase db = TestDatabase.create()) {
      // A queue of 1 and a writer that lingers a whole second: the rows after the first few find it full.
      UsageLog log = new UsageLog(db.jdbi(), 1, Duration.ofSeconds(1), Duration.ofSeconds(1));
      long start = System.nanoTime();
      for (int i = 0; i < 50; i++) {
        log.record(row(i));
      }
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      log.close();
      assertThat(tookMillis).isLessThan(500);
      assertThat(log.dropped()).isGreaterThan(0);
      assertThat(rows(db) + log.dropped()).isEqualTo(50);
    }
  }

  @Test
  void aRowTheDatabaseRefusesIsDroppedAndTheRestOfItsBatchWritten() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      UsageLog log = new UsageLog(db.jdbi(), 100, Duration.ofMillis(50), Duration.ofMillis(50));
      log.record(row(1));
      log.record(row("req\u0000nul")); // PostgreSQL text cannot hold NUL
      log.record(row(3));
      log.flush();
      assertThat(rows(db)).isEqualTo(2);
      assertThat(log.dropped()).isEqualTo(1);
      // The writer goes on.
      log.record(row(4));
      log.flush();
      assertThat(rows(db)).isEqualTo(3);
      log.close();
    }
  }

  @Test
  void aBatchIsStoredFieldForFieldWhateverItsTextHolds() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      // A linger of a second: the two rows go in one batch.
      UsageLog log = new UsageLog(db.jdbi(), 100, Duration.ofSeconds(30), Duration.ofSeconds(1));
      Instant at = Instant.parse("2026-11-29T10:11:12.123456789Z");
      String awkward = "tab\there, line\nfeed\r, back\\slash \\N, \u00e9\ud83d\ude00";
      log.record(new UsageRecord(at, "ten_a", awkward, "fast", null, null, null, 10, 2, 5, 1, true,
          new BigDecimal("0.000012345"), 120, 42L, null, true, "tsk_1", "step-1", "req_1"));
      log.record(new UsageRecord(null, "ten_a", "agt_b", "fast", "p", "m", "embeddings", 0, 0, 0, 0, false,
          null, 7, null, "rate_limited", false, null, null, null));
      log.flush();
      assertThat(log.batchesWritten()).isEqualTo(1);
      log.close();
      var stored = db.jdbi().withHandle(h -> h.createQuery(
              "SELECT at, agent_id, provider, operation, estimated, cost, ttft_ms, outcome, stream, task_id, step_id, request_id, "
                  + "input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, latency_ms FROM model_usage ORDER BY id")
          .mapToMap().list());
      assertThat(stored).hasSize(2);
      var first = stored.get(0);
      assertThat(((java.sql.Timestamp) first.get("at")).toInstant()).isEqualTo(Instant.parse("2026-11-29T10:11:12.123457Z").minusNanos(1000));
      assertThat(first.get("agent_id")).isEqualTo(awkward);
      assertThat(first.get("provider")).isNull();
      assertThat(first.get("operation")).isEqualTo("chat");
      assertThat(first.get("estimated")).isEqualTo(true);
      assertThat((BigDecimal) first.get("cost")).isEqualByComparingTo("0.000012345");
      assertThat(first.get("ttft_ms")).isEqualTo(42L);
      assertThat(first.get("outcome")).isEqualTo("unknown");
      assertThat(first.get("stream")).isEqualTo(true);
      assertThat(first.get("task_id")).isEqualTo("tsk_1");
      assertThat(first.get("step_id")).isEqualTo("step-1");
      assertThat(first.get("request_id")).isEqualTo("req_1");
      assertThat(List.of(first.get("input_tokens"), first.get("cached_input_tokens"), first.get("output_tokens"),
          first.get("reasoning_tokens"), first.get("latency_ms"))).containsExactly(10L, 2L, 5L, 1L, 120L);
      var second = stored.get(1);
      assertThat(second.get("at")).isNotNull();
      assertThat(second.get("operation")).isEqualTo("embeddings");
      assertThat(second.get("cost")).isNull();
      assertThat(second.get("ttft_ms")).isNull();
      assertThat(second.get("outcome")).isEqualTo("rate_limited");
      assertThat(second.get("request_id")).isNull();
    }
  }

  @Test
  void rowsRecordedAfterCloseAreDroppedAndNothingThrows() {
    try (TestDatabase db = TestDatabase.create()) {
      UsageLog log = new UsageLog(db.jdbi(), 100, Duration.ofMillis(50));
      log.close();
      assertThatCode(() -> log.record(row(1))).doesNotThrowAnyException();
      assertThatCode(() -> log.record(null)).doesNotThrowAnyException();
      assertThatCode(log::close).doesNotThrowAnyException();
      assertThat(log.dropped()).isEqualTo(1);
      assertThat(rows(db)).isZero();
    }
  }
}
