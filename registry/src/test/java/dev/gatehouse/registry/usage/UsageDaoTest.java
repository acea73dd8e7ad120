package dev.gatehouse.registry.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.testing.TestDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Usage rows on a real PostgreSQL: inserted in a batch, summed per UTC day and in total, listed by pages. */
class UsageDaoTest {
  static TestDatabase db;
  static UsageDao dao;

  static final Instant DAY1 = Instant.parse("2027-03-01T00:00:00Z");
  static final Instant DAY2 = Instant.parse("2027-03-02T00:00:00Z");
  static final Instant RANGE_START = Instant.parse("2027-02-01T00:00:00Z");
  static final Instant RANGE_END = Instant.parse("2027-04-01T00:00:00Z");

  @BeforeAll
  static void open() {
    db = TestDatabase.create();
    dao = db.jdbi().onDemand(UsageDao.class);
    dao.insert(List.of(
        // Tenant a, agent a1: two calls on day 1 (the second at 23:59:59.999 UTC still day 1), one on day 2.
        row(DAY1.plusSeconds(60), "ten_a", "agt_a1", "fast", 100, 40, 10, 0, "0.0005", "ok", "task-1"),
        row(DAY1.plus(Duration.ofDays(1)).minusMillis(1), "ten_a", "agt_a1", "fast", 200, 0, 20, 5, "0.001", "ok", null),
        row(DAY2.plusSeconds(3600), "ten_a", "agt_a1", "smart", 1000, 0, 300, 100, null, "upstream_unavailable", "task-1"),
        // Tenant a, agent a2: one call on day 2.
        row(DAY2.plusSeconds(7200), "ten_a", "agt_a2", "fast", 50, 0, 5, 0, "0.00025", "ok", null),
        // Tenant b: one call on day 1, and one outside the range.
        row(DAY1.plusSeconds(10), "ten_b", "agt_b1", "fast", 7, 0, 3, 0, "0.00001", "ok", null),
        row(RANGE_END.plusSeconds(1), "ten_b", "agt_b1", "fast", 9999, 0, 9999, 0, "9", "ok", null)));
  }

  @AfterAll
  static void close() {
    db.close();
  }

  static UsageRecord row(
      Instant at, String tenant, String agent, String model, long in, long cached, long out, long reasoning, String cost,
      String outcome, String task) {
    return new UsageRecord(at, tenant, agent, model, "openai-main", "gpt-x", "chat", in, cached, out, reasoning,
        cost == null, cost == null ? null : new BigDecimal(cost), 120, 30L, outcome, true, task, task == null ? null : "s1", "req-1");
  }

  static UsageQuery query(String tenant, String agent, String model, String task) {
    return new UsageQuery(tenant, agent, model, task, RANGE_START, RANGE_END);
  }

  @Test
  void aTenantsReportSumsItsRowsPerUtcDayAndInTotal() {
    UsageReport r = dao.report(query("ten_a", null, null, null));

    assertThat(r.totals().calls()).isEqualTo(4);
    assertThat(r.totals().errors()).isEqualTo(1);
    assertThat(r.totals().inputTokens()).isEqualTo(1350);
    assertThat(r.totals().cachedInputTokens()).isEqualTo(40);
    assertThat(r.totals().outputTokens()).isEqualTo(335);
    assertThat(r.totals().reasoningTokens()).isEqualTo(105);
    assertThat(r.totals().cost()).isEqualByComparingTo("0.00175");
    assertThat(r.totals().unpricedCalls()).isEqualTo(1);
    assertThat(r.totals().estimatedCalls()).isEqualTo(1);

    assertThat(r.days()).extracting(UsageReport.Day::day)
        .containsExactly(LocalDate.parse("2027-03-01"), LocalDate.parse("2027-03-02"));
    UsageReport.Day first = r.days().get(0);
    assertThat(first.calls()).isEqualTo(2);
    assertThat(first.inputTokens()).isEqualTo(300);
    assertThat(first.cost()).isEqualByComparingTo("0.0015");
    UsageReport.Day second = r.days().get(1);
    assertThat(second.calls()).isEqualTo(2);
    assertThat(second.errors()).isEqualTo(1);
    assertThat(second.outputTokens()).isEqualTo(305);
    assertThat(second.cost()).isEqualByComparingTo("0.00025");
    assertThat(second.unpricedCalls()).isEqualTo(1);
  }

  /** A call refused before it was sent used no tokens: it has no cost, and no price was missing for it. */
  @Test
  void aCallThatUsedNoTokensIsNotCountedAsUnpriced() {
    Instant at = RANGE_END.plus(Duration.ofDays(10));
    dao.insert(List.of(
        row(at, "ten_refused", "agt_r", "no-such", 0, 0, 0, 0, null, "invalid_request", null),
        row(at.plusSeconds(1), "ten_refused", "agt_r", "unpriced", 10, 0, 5, 0, null, "ok", null)));
    UsageReport r = dao.report(new UsageQuery("ten_refused", null, null, null, at.minusSeconds(60), at.plusSeconds(60)));
    assertThat(r.totals().calls()).isEqualTo(2);
    assertThat(r.totals().errors()).isEqualTo(1);
    assertThat(r.totals().unpricedCalls()).isEqualTo(1);
  }

  @Test
  void filtersByAgentModelAndTaskNarrowTheReport() {
    assertThat(dao.report(query("ten_a", "agt_a1", null, null)).totals().calls()).isEqualTo(3);
    assertThat(dao.report(query(null, null, "fast", null)).totals().calls()).isEqualTo(4);
    assertThat(dao.report(query("ten_a", null, "smart", null)).totals().inputTokens()).isEqualTo(1000);
    UsageReport task = dao.report(query(null, null, null, "task-1"));
    assertThat(task.totals().calls()).isEqualTo(2);
    assertThat(task.days()).hasSize(2);
    // Another tenant's agent under this tenant is nothing.
    assertThat(dao.report(query("ten_a", "agt_b1", null, null)).totals().calls()).isZero();
  }

  @Test
  void theTimeRangeIncludesSinceAndExcludesUntil() {
    Instant lastOfDay1 = DAY1.plus(Duration.ofDays(1)).minusMillis(1);
    UsageReport upTo = dao.report(new UsageQuery("ten_a", null, null, null, RANGE_START, lastOfDay1));
    assertThat(upTo.totals().calls()).isEqualTo(1);
    UsageReport from = dao.report(new UsageQuery("ten_a", null, null, null, lastOfDay1, RANGE_END));
    assertThat(from.totals().calls()).isEqualTo(3);
    // Everyone's rows in the range: the one after it is left out.
    assertThat(dao.report(query(null, null, null, null)).totals().calls()).isEqualTo(5);
  }

  @Test
  void aQueryWithNoRowsHasZeroTotalsAndNoDays() {
    UsageReport r = dao.report(query("ten_nobody", null, null, null));
    assertThat(r.totals()).isEqualTo(UsageReport.Totals.NONE);
    assertThat(r.days()).isEmpty();
  }

  @Test
  void rowsAreListedNewestFirstInPagesThatFollowTheCursor() {
    List<UsageDao.Row> first = dao.page(query("ten_a", null, null, null), null, 3);
    assertThat(first).hasSize(3);
    assertThat(first.get(0).id()).isGreaterThan(first.get(1).id());
    List<UsageDao.Row> rest = dao.page(query("ten_a", null, null, null), first.get(2).id(), 3);
    assertThat(rest).hasSize(1);
    List<Long> ids = new ArrayList<>();
    first.forEach(r -> ids.add(r.id()));
    rest.forEach(r -> ids.add(r.id()));
    assertThat(ids).doesNotHaveDuplicates().isSortedAccordingTo((x, y) -> Long.compare(y, x));

    UsageDao.Row unpriced = dao.page(query("ten_a", null, "smart", null), null, 10).get(0);
    assertThat(unpriced.cost()).isNull();
    assertThat(unpriced.estimated()).isTrue();
    assertThat(unpriced.outcome()).isEqualTo("upstream_unavailable");
    assertThat(unpriced.ttftMs()).isEqualTo(30L);
    assertThat(unpriced.taskId()).isEqualTo("task-1");
    assertThat(unpriced.at()).isEqualTo(DAY2.plusSeconds(3600));
    assertThatThrownBy(() -> dao.page(query(null, null, null, null), null, UsageDao.MAX_PAGE + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRowNamingNoTenantAgentOrTimeIsStillWritten() {
    // No foreign keys: a call whose agent was deleted meanwhile is still recorded.
    dao.insert(List.of(new UsageRecord(null, "ten_gone", "agt_gone", null, null, null, null, 1, 0, 0, 0, false, null, 5,
        null, null, false, null, null, null)));
    UsageDao.Row r = dao.page(UsageQuery.of("ten_gone", null, null, null, null, null, Instant.now().plusSeconds(60)), null, 1).get(0);
    assertThat(r.outcome()).isEqualTo("unknown");
    assertThat(r.operation()).isEqualTo("chat");
    assertThat(r.ttftMs()).isNull();
  }

  @Test
  void aQueryMustHaveSinceBeforeUntilAndSpanAtMost400Days() {
    assertThatThrownBy(() -> new UsageQuery(null, null, null, null, DAY2, DAY1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'since' must be before 'until'");
    assertThatThrownBy(() -> new UsageQuery(null, null, null, null, DAY1, DAY1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new UsageQuery(null, null, null, null, DAY1, DAY1.plus(Duration.ofDays(401))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("400 days");
    assertThat(new UsageQuery(null, null, null, null, DAY1, DAY1.plus(Duration.ofDays(400))).until())
        .isEqualTo(DAY1.plus(Duration.ofDays(400)));

    UsageQuery defaults = UsageQuery.of(null, null, null, null, null, null, DAY2);
    assertThat(defaults.until()).isEqualTo(DAY2);
    assertThat(defaults.since()).isEqualTo(DAY2.minus(UsageQuery.DEFAULT_RANGE));
  }
}
