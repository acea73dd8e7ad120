package dev.gatehouse.frontend.core.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Admission's limits against open tasks in a real PostgreSQL task index, and its in-process slots. */
class AdmissionTest {
  private TestDatabase db;
  private TaskIndexDao index;
  private CollectorRegistry prometheus;
  private Admission admission;
  private int n;

  @BeforeEach
  void start() {
    db = TestDatabase.create();
    db.jdbi().onDemand(TenantDao.class).insert("ten_a", "alpha");
    db.jdbi().onDemand(TenantDao.class).insert("ten_b", "beta");
    db.jdbi().onDemand(TenantDao.class).insert("ten_big", "big");
    index = db.jdbi().onDemand(TaskIndexDao.class);
    prometheus = new CollectorRegistry(true);
    admission =
        new Admission(
            db.jdbi(),
            new Admission.Limits(4, 2, Map.of("big", 3), 2, 2, 1, Duration.ofSeconds(1), Duration.ofSeconds(30)),
            new GatehouseMetrics(prometheus));
  }

  @AfterEach
  void stop() {
    db.close();
  }

  private String open(String tenant) {
    String id = "task_" + (n++);
    index.insert(id, tenant, "agent", "pipeline", null, "h", Instant.now().plusSeconds(3600));
    return id;
  }

  private static ApiException refusal(Runnable r) {
    try {
      r.run();
    } catch (ApiException e) {
      return e;
    }
    throw new AssertionError("not refused");
  }

  @Test
  void aTenantOverItsLimitIsRefusedWithWhichLimitAndWhenToRetry() {
    open("ten_a");
    open("ten_a");
    admission.checkOpenTasks("ten_a"); // 2 of 2
    open("ten_a");
    ApiException e = refusal(() -> admission.checkOpenTasks("ten_a"));
    assertThat(e.error()).isEqualTo(ErrorCode.OVERLOADED);
    assertThat(e.status()).isEqualTo(429);
    assertThat(e.details()).containsEntry("limit", "tenantOpenTasks").containsEntry("max", 2);
    assertThat(Long.parseLong(e.headers().get("Retry-After"))).isBetween(1L, 30L);
    assertThat(e.details().get("retryAfter")).isEqualTo(Long.parseLong(e.headers().get("Retry-After")));
    assertThat(prometheus.getSampleValue("gatehouse_admission_refused_total", new String[] {"limit"}, new String[] {"tenantOpenTasks"}))
        .isEqualTo(1.0);

    // Another tenant is not refused for it...
    open("ten_b");
    admission.checkOpenTasks("ten_b");
    // ...until all tenants together pass the global limit.
    open("ten_b");
    ApiException global = refusal(() -> admission.checkOpenTasks("ten_b"));
    assertThat(global.details()).containsEntry("limit", "openTasks").containsEntry("max", 4);
  }

  @Test
  void closedAndTimedOutTasksNoLongerCount() {
    String first = open("ten_a");
    open("ten_a");
    open("ten_a");
    assertThatThrownBy(() -> admission.checkOpenTasks("ten_a")).isInstanceOf(ApiException.class);
    index.close(first, "COMPLETED", null, null);
    admission.checkOpenTasks("ten_a");

    // A row its run timeout has ended (it still says RUNNING until someone reads the task).
    index.insert("stale", "ten_a", "agent", "pipeline", null, "h", Instant.now().minusSeconds(1));
    admission.checkOpenTasks("ten_a");
  }

  @Test
  void aTenantNamedInTheConfigurationHasItsOwnLimit() {
    open("ten_big");
    open("ten_big");
    open("ten_big");
    admission.checkOpenTasks("ten_big");
    open("ten_big");
    assertThat(refusal(() -> admission.checkOpenTasks("ten_big")).details()).containsEntry("max", 3);
  }

  @Test
  void inProcessSlotsAreBoundedAndGivenBackOnce() {
    Admission.Permit a = admission.startPermit();
    Admission.Permit b = admission.startPermit();
    ApiException e = refusal(admission::startPermit);
    assertThat(e.details()).containsEntry("limit", "pendingStarts").containsEntry("max", 2);
    assertThat(e.headers()).containsEntry("Retry-After", "1");
    a.close();
    a.close(); // a second close gives nothing back
    Admission.Permit c = admission.startPermit();
    assertThatThrownBy(admission::startPermit).isInstanceOf(ApiException.class);
    b.close();
    c.close();

    // Direct calls: 1 of a tenant's, 2 of all at once.
    try (Admission.Permit a1 = admission.directCall("ten_a")) {
      ApiException tenant = refusal(() -> admission.directCall("ten_a"));
      assertThat(tenant.details()).containsEntry("limit", "tenantDirectCalls").containsEntry("max", 1);
      try (Admission.Permit b1 = admission.directCall("ten_b")) {
        ApiException all = refusal(() -> admission.directCall("ten_c"));
        assertThat(all.details()).containsEntry("limit", "directCalls").containsEntry("max", 2);
      }
      admission.directCall("ten_c").close(); // the refused ones took nothing
    }
    admission.directCall("ten_a").close();
  }

  @Test
  void retryAfterFollowsThePaceTasksEndAtWithinBounds() {
    // 10 open, mean age 5 s: about one ends per second; 2 must end.
    assertThat(admission.retryAfter(10, 8, 5_000)).isEqualTo(2);
    assertThat(admission.retryAfter(10, 9, 100)).isEqualTo(1); // never below minRetryAfter
    assertThat(admission.retryAfter(10, 9, 3_600_000)).isEqualTo(30); // never above maxRetryAfter
    assertThat(admission.retryAfter(0, 0, 0)).isEqualTo(1);
  }
}
