package dev.gatehouse.frontend.app.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gatehouse.frontend.core.auth.Caller;
import dev.gatehouse.frontend.core.auth.CallerSecurityContext;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.usage.UsageDao;
import dev.gatehouse.registry.usage.UsageRecord;
import io.dropwizard.jackson.Jackson;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin usage report on a real PostgreSQL, called as Jersey calls it (the HTTP round trip is
 * tested once the resource is wired into the application): who sees which tenant's usage, the
 * defaults and checks of the time range, and paging through calls.
 */
class UsageResourceTest {
  static final Instant NOW = Instant.parse("2027-03-10T12:00:00Z");
  static final CallerSecurityContext PLATFORM = new CallerSecurityContext(new Caller.AdminCaller("adm_p", null), true);
  static final CallerSecurityContext TENANT_A = new CallerSecurityContext(new Caller.AdminCaller("adm_a", "ten_a"), true);

  static TestDatabase db;
  static UsageResource resource;

  @BeforeAll
  static void open() {
    db = TestDatabase.create();
    List<UsageRecord> rows = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      rows.add(row(NOW.minusSeconds(3600L * 24 * i + 3600), "ten_a", "agt_a", "fast", 100, "0.001", "ok"));
    }
    rows.add(row(NOW.minusSeconds(60), "ten_a", "agt_a2", "smart", 10, null, "rate_limited"));
    rows.add(row(NOW.minusSeconds(60), "ten_b", "agt_b", "fast", 1000, "0.01", "ok"));
    rows.add(row(NOW.minusSeconds(3600L * 24 * 40), "ten_a", "agt_a", "fast", 7, "0.5", "ok")); // before the default 30 days
    db.jdbi().onDemand(UsageDao.class).insert(rows);
    AdminContext ctx = new AdminContext(db.jdbi(), null, null, null);
    resource = new UsageResource(ctx, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterAll
  static void close() {
    db.close();
  }

  static UsageRecord row(Instant at, String tenant, String agent, String model, long in, String cost, String outcome) {
    return new UsageRecord(at, tenant, agent, model, "p", "pm", "chat", in, 0, in / 2, 0, false,
        cost == null ? null : new BigDecimal(cost), 50, null, outcome, false, null, null, null);
  }

  static void assertInvalid(ThrowingCallable call, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(ErrorCode.INVALID_REQUEST))
        .hasMessageContaining(message);
  }

  @Test
  void aPlatformAdminSeesEveryTenantOrTheOneItNames() {
    UsageResource.Report all = resource.report(PLATFORM, null, null, null, null, null, null);
    assertThat(all.totals().calls()).isEqualTo(7);
    assertThat(all.since()).isEqualTo(NOW.minus(Duration.ofDays(30)));
    assertThat(all.until()).isEqualTo(NOW);

    UsageResource.Report b = resource.report(PLATFORM, "ten_b", null, null, null, null, null);
    assertThat(b.totals().calls()).isEqualTo(1);
    assertThat(b.totals().inputTokens()).isEqualTo(1000);
    // A tenant with no rows (or one deleted since) is an empty report, not an error.
    assertThat(resource.report(PLATFORM, "ten_gone", null, null, null, null, null).totals().calls()).isZero();
  }

  @Test
  void aTenantAdminSeesOnlyItsOwnTenantAndAnotherIsLikeMissing() {
    UsageResource.Report mine = resource.report(TENANT_A, null, null, null, null, null, null);
    assertThat(mine.totals().calls()).isEqualTo(6);
    assertThat(mine.totals().errors()).isEqualTo(1);
    assertThat(mine.totals().unpricedCalls()).isEqualTo(1);
    assertThat(mine.totals().cost()).isEqualByComparingTo("0.005");
    assertThat(mine.days()).hasSize(5);
    assertThat(mine.days().get(4).day()).isEqualTo(LocalDate.parse("2027-03-10"));
    assertThat(mine.days().get(4).calls()).isEqualTo(2);
    assertThat(resource.report(TENANT_A, "ten_a", "agt_a2", null, null, null, null).totals().calls()).isEqualTo(1);
    // Another tenant's agent, named under this tenant: nothing.
    assertThat(resource.report(TENANT_A, null, "agt_b", null, null, null, null).totals().calls()).isZero();

    assertThatThrownBy(() -> resource.report(TENANT_A, "ten_b", null, null, null, null, null))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(ErrorCode.TENANT_NOT_FOUND));
  }

  @Test
  void theReportAnswersTotalsAndDaysAsJson() throws Exception {
    // The application's mapper: Dropwizard's, writing dates as ISO text.
    ObjectMapper json = Jackson.newObjectMapper().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    JsonNode r =
        json.valueToTree(resource.report(TENANT_A, null, null, null, null, "2027-03-10T00:00:00Z", null));
    assertThat(r.path("since").asText()).isEqualTo("2027-03-10T00:00:00Z");
    assertThat(r.path("until").asText()).isEqualTo("2027-03-10T12:00:00Z");
    assertThat(r.path("totals").path("calls").asLong()).isEqualTo(2);
    assertThat(r.path("totals").path("cost").decimalValue()).isEqualByComparingTo("0.001");
    assertThat(r.path("days").get(0).path("day").asText()).isEqualTo("2027-03-10");
    assertThat(r.path("days").get(0).path("inputTokens").asLong()).isEqualTo(110);
  }

  @Test
  void theTimeRangeIsCheckedAndBounded() {
    UsageResource.Report older =
        resource.report(PLATFORM, null, null, null, null, "2027-01-01T00:00:00Z", "2027-02-15T00:00:00+01:00");
    assertThat(older.totals().calls()).isEqualTo(1);
    assertThat(older.totals().inputTokens()).isEqualTo(7);

    assertInvalid(() -> resource.report(PLATFORM, null, null, null, null, "yesterday", null), "'since' must be an ISO-8601 time");
    assertInvalid(() -> resource.report(PLATFORM, null, null, null, null, null, "2027-13-01T00:00:00Z"), "'until'");
    assertInvalid(
        () -> resource.report(PLATFORM, null, null, null, null, "2027-03-02T00:00:00Z", "2027-03-01T00:00:00Z"),
        "'since' must be before 'until'");
    assertInvalid(
        () -> resource.report(PLATFORM, null, null, null, null, "2020-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        "at most 400 days");
    // A since in the future, with until defaulting to now.
    assertInvalid(() -> resource.report(PLATFORM, null, null, null, null, "2099-01-01T00:00:00Z", null), "before 'until'");
  }

  @Test
  void callsArePagedNewestFirstWithAnOpaqueCursor() {
    Page<UsageDao.Row> first = resource.calls(TENANT_A, null, "agt_a", "fast", null, null, null, "3", null);
    assertThat(first.items()).hasSize(3);
    assertThat(first.nextCursor()).isNotNull();
    Page<UsageDao.Row> second = resource.calls(TENANT_A, null, "agt_a", "fast", null, null, null, "3", first.nextCursor());
    assertThat(second.items()).hasSize(2);
    assertThat(second.nextCursor()).isNull();
    assertThat(second.items().get(0).id()).isLessThan(first.items().get(2).id());
    assertThat(first.items()).allSatisfy(r -> assertThat(r.tenantId()).isEqualTo("ten_a"));

    assertThat(resource.calls(PLATFORM, null, null, null, null, null, null, null, null).items()).hasSize(7);
    assertInvalid(() -> resource.calls(PLATFORM, null, null, null, null, null, null, "0", null), "limit");
    assertInvalid(() -> resource.calls(PLATFORM, null, null, null, null, null, null, "1001", null), "limit");
    assertInvalid(() -> resource.calls(PLATFORM, null, null, null, null, null, null, "many", null), "limit");
    assertInvalid(() -> resource.calls(PLATFORM, null, null, null, null, null, null, null, "bm90LWFuLWlk"), "cursor");
    assertInvalid(() -> resource.calls(PLATFORM, null, null, null, null, null, null, null, "%%%"), "cursor");
  }
}
