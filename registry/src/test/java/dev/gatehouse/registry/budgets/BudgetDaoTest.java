package dev.gatehouse.registry.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.policies.PolicyDao;
import dev.gatehouse.registry.policies.PolicyDefinition;
import dev.gatehouse.registry.testing.TestDatabase;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The budgets on the real PostgreSQL: reserve and settle each in one statement; many concurrent
 * reservations and settlements from two separate connection sources (two replicas) never hold or
 * spend more than the limit, and what was spent is exactly what was settled; expired reservations
 * are released, and a late settlement still counts once.
 */
class BudgetDaoTest {
  static final long HOUR = 3_600_000;
  static TestDatabase db;
  static BudgetDao dao;
  static BudgetStatements statements;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    dao = db.jdbi().onDemand(BudgetDao.class);
    statements = new BudgetStatements(db.jdbi());
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  static String id() {
    return UUID.randomUUID().toString();
  }

  static BudgetDao.Reserved reserve(String policy, String subject, Long limitTokens, BigDecimal limitCost, long tokens, BigDecimal cost) {
    return statements.reserve(id(), policy, subject, BudgetDao.DAY, "ten_a", limitTokens, limitCost, tokens, cost, HOUR);
  }

  @Test
  void reservesWhatFitsRefusesWhatDoesNotAndSettlesToWhatWasUsed() {
    String first = id();
    BudgetDao.Reserved r1 = statements.reserve(first, "p1", "agent:a", BudgetDao.DAY, "ten_a", 100L, null, 60, BigDecimal.ZERO, HOUR);
    assertThat(r1.admitted()).isTrue();
    assertThat(r1.reservedTokens()).isEqualTo(60);
    assertThat(r1.spentTokens()).isZero();
    assertThat(r1.limitTokens()).isEqualTo(100);
    LocalDate today = LocalDate.ofInstant(Instant.now(), ZoneOffset.UTC);
    assertThat(r1.periodStart()).isIn(today.atStartOfDay().toInstant(ZoneOffset.UTC), today.minusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC));

    BudgetDao.Reserved refused = reserve("p1", "agent:a", 100L, null, 41, BigDecimal.ZERO);
    assertThat(refused.admitted()).as("60 held, 41 more would pass 100").isFalse();
    assertThat(refused.reservedTokens()).as("a refusal holds nothing").isEqualTo(60);
    assertThat(reserve("p1", "agent:a", 100L, null, 40, BigDecimal.ZERO).admitted()).as("exactly the limit fits").isTrue();
    assertThat(reserve("p1", "agent:a", 100L, null, 1, BigDecimal.ZERO).admitted()).isFalse();

    // The first call used 25 of its 60: 35 are free again.
    assertThat(statements.settle(first, 25, new BigDecimal("0.5"))).isEqualTo(1);
    assertThat(statements.settle(first, 25, new BigDecimal("0.5"))).as("a second settlement of the same id changes nothing").isZero();
    BudgetDao.Reserved after = reserve("p1", "agent:a", 100L, null, 35, BigDecimal.ZERO);
    assertThat(after.admitted()).isTrue();
    assertThat(after.spentTokens()).isEqualTo(25);
    assertThat(after.spentCost()).isEqualByComparingTo("0.5");
    assertThat(after.reservedTokens()).isEqualTo(40 + 35);

    // Another subject, another budget; an ask over the whole limit never fits, and holds nothing.
    assertThat(reserve("p1", "agent:b", 100L, null, 101, BigDecimal.ZERO).admitted()).isFalse();
    assertThat(reserve("p1", "agent:b", 100L, null, 100, BigDecimal.ZERO).admitted()).isTrue();
  }

  @Test
  void costLimitsAreExactDecimalsAndAChangedLimitAppliesToTheCurrentPeriod() {
    BigDecimal limit = new BigDecimal("0.30");
    assertThat(reserve("p2", "tenant:t", null, limit, 0, new BigDecimal("0.1")).admitted()).isTrue();
    assertThat(reserve("p2", "tenant:t", null, limit, 0, new BigDecimal("0.2")).admitted()).isTrue();
    assertThat(reserve("p2", "tenant:t", null, limit, 0, new BigDecimal("0.000000000001")).admitted())
        .as("0.1 + 0.2 is exactly 0.3 in numeric: not one millionth of a millionth more fits")
        .isFalse();
    // The policy was raised: the next reservation is checked against the new limit, in the same row.
    BudgetDao.Reserved raised = reserve("p2", "tenant:t", null, new BigDecimal("1"), 0, new BigDecimal("0.5"));
    assertThat(raised.admitted()).isTrue();
    assertThat(raised.limitCost()).isEqualByComparingTo("1");
    assertThat(raised.reservedCost()).isEqualByComparingTo("0.8");
    // Lowered below what is held: nothing more fits, and nothing held is taken away.
    BudgetDao.Reserved lowered = reserve("p2", "tenant:t", 1000L, new BigDecimal("0.5"), 1, new BigDecimal("0.01"));
    assertThat(lowered.admitted()).isFalse();
    assertThat(lowered.reservedCost()).isEqualByComparingTo("0.8");
  }

  @Test
  void periodsStartInUtcOnTheDatabasesClock() {
    Instant fixed = statements.reserve(id(), "p3", "agent:a", BudgetDao.FIXED, "ten_a", 10L, null, 1, BigDecimal.ZERO, HOUR).periodStart();
    assertThat(fixed).isEqualTo(Instant.EPOCH);
    Instant month = statements.reserve(id(), "p3", "agent:a", BudgetDao.MONTH, "ten_a", 10L, null, 1, BigDecimal.ZERO, HOUR).periodStart();
    Instant day = statements.reserve(id(), "p3", "agent:a", BudgetDao.DAY, "ten_a", 10L, null, 1, BigDecimal.ZERO, HOUR).periodStart();
    Instant dbNow = db.jdbi().withHandle(h -> h.createQuery("SELECT statement_timestamp()").mapTo(Instant.class).one());
    LocalDate utc = LocalDate.ofInstant(dbNow, ZoneOffset.UTC);
    assertThat(month).isEqualTo(utc.withDayOfMonth(1).atStartOfDay().toInstant(ZoneOffset.UTC));
    assertThat(day).isEqualTo(utc.atStartOfDay().toInstant(ZoneOffset.UTC));
    // Each period its own row: the three reservations did not add up.
    assertThat(statements.reserve(id(), "p3", "agent:a", BudgetDao.FIXED, "ten_a", 10L, null, 9, BigDecimal.ZERO, HOUR).admitted()).isTrue();
  }

  @Test
  void expiredReservationsAreReleasedAndALateSettlementCountsOnce() {
    String crashed = id();
    String late = id();
    assertThat(statements.reserve(crashed, "p4", "agent:a", BudgetDao.DAY, "ten_a", 100L, null, 50, BigDecimal.ZERO, 0).admitted()).isTrue();
    assertThat(statements.reserve(late, "p4", "agent:a", BudgetDao.DAY, "ten_a", 100L, null, 50, BigDecimal.ZERO, 0).admitted()).isTrue();
    String live = id();
    assertThat(statements.reserve(live, "p4", "agent:a", BudgetDao.DAY, "ten_a", 200L, null, 50, BigDecimal.ZERO, HOUR).admitted()).isTrue();

    // Both zero-TTL reservations are past their expiry; the third is not.
    assertThat(dao.releaseExpired()).isGreaterThanOrEqualTo(2);
    assertThat(dao.releaseExpired()).as("released once").isZero();
    BudgetDao.Reserved probe = reserve("p4", "agent:a", 200L, null, 0, BigDecimal.ZERO);
    assertThat(probe.reservedTokens()).as("only the live reservation is still held").isEqualTo(50);

    // The call of "late" was still running: it settles after its reservation was released.
    assertThat(statements.settle(late, 30, BigDecimal.ZERO)).isEqualTo(1);
    BudgetDao.Reserved now = reserve("p4", "agent:a", 200L, null, 0, BigDecimal.ZERO);
    assertThat(now.reservedTokens()).as("the released amount is not taken off again").isEqualTo(50);
    assertThat(now.spentTokens()).isEqualTo(30);
    assertThat(statements.settle(late, 30, BigDecimal.ZERO)).isZero();

    assertThat(statements.settle(live, 50, BigDecimal.ZERO)).isEqualTo(1);
    BudgetDao.Reserved end = reserve("p4", "agent:a", 200L, null, 0, BigDecimal.ZERO);
    assertThat(end.reservedTokens()).isZero();
    assertThat(end.spentTokens()).isEqualTo(80);
    // Released rows are kept a day (for late settlements), then forgotten.
    assertThat(dao.forgetReleased()).isZero();
  }

  @Test
  void manyConcurrentReservationsFromTwoReplicasNeverPassTheLimit() throws Exception {
    Jdbi replicaA = db.jdbi();
    Jdbi replicaB = db.jdbi();
    long limit = 1_000;
    int ask = 25; // 40 fit at once
    int requests = 400;
    AtomicLong admitted = new AtomicLong();
    AtomicLong settledTokens = new AtomicLong();
    AtomicReference<String> violation = new AtomicReference<>();
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    // A watcher reads the row all along: reserved + spent never above the limit, at any moment.
    Thread watcher =
        new Thread(
            () ->
                db.jdbi().useHandle(h -> {
                  while (running.get()) {
                    h.createQuery("SELECT reserved_tokens + spent_tokens FROM budgets WHERE policy = 'shared' AND subject = 'tenant:t'")
                        .mapTo(Long.class)
                        .findOne()
                        .ifPresent(held -> {
                          if (held > limit) {
                            violation.compareAndSet(null, "the watcher saw " + held + " held");
                          }
                        });
                    try {
                      Thread.sleep(1);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                }));
    watcher.start();
    long started = System.nanoTime();
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int i = 0; i < requests; i++) {
        Jdbi replica = i % 2 == 0 ? replicaA : replicaB;
        done.add(
            pool.submit(
                () ->
                    {
                      BudgetStatements onReplica = new BudgetStatements(replica);
                      String id = id();
                      BudgetDao.Reserved r = onReplica.reserve(id, "shared", "tenant:t", BudgetDao.MONTH, "t", limit, null, ask, BigDecimal.ZERO, HOUR);
                      if (r.reservedTokens() + r.spentTokens() > limit) {
                        violation.compareAndSet(null, "a reservation returned " + (r.reservedTokens() + r.spentTokens()) + " held");
                      }
                      if (r.admitted()) {
                        admitted.incrementAndGet();
                        // The call used some of its worst case (at most all of it).
                        long used = ThreadLocalRandom.current().nextLong(ask + 1);
                        settledTokens.addAndGet(used);
                        onReplica.settle(id, used, BigDecimal.ZERO);
                      }
                    }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      running.set(false);
      watcher.join();
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    BudgetDao.Reserved end = new BudgetStatements(replicaA).reserve(id(), "shared", "tenant:t", BudgetDao.MONTH, "t", limit, null, 0, BigDecimal.ZERO, HOUR);
    System.out.printf(
        "budgets: %d of %d reservations admitted in %.2f s; spent %d of %d%n", admitted.get(), requests, seconds, end.spentTokens(), limit);
    assertThat(violation.get()).isNull();
    assertThat(end.reservedTokens()).as("every reservation was settled").isZero();
    assertThat(end.spentTokens()).as("spent is exactly what was settled").isEqualTo(settledTokens.get());
    assertThat(end.spentTokens()).isLessThanOrEqualTo(limit);
    // Settlements below the worst case free room: more than the 40 that fit at once got in.
    assertThat(admitted.get()).isGreaterThanOrEqualTo(limit / ask);
  }

  @Test
  void currentBudgetsAndTotalsFollowThePolicyAsItIsNow() {
    PolicyDao policies = db.jdbi().onDemand(PolicyDao.class);
    policies.insert(
        new PolicyDefinition("listed", null, PolicyDefinition.BUDGET, null, null,
            new PolicyDefinition.Budget(500L, null, BudgetDao.DAY, "agent"), null, null, null));
    String id = id();
    statements.reserve(id, "listed", "agent:x", BudgetDao.DAY, "ten_x", 500L, null, 100, BigDecimal.ZERO, HOUR);
    statements.settle(id, 70, new BigDecimal("0.07"));
    statements.reserve(id(), "listed", "agent:y", BudgetDao.DAY, "ten_y", 500L, null, 20, BigDecimal.ZERO, HOUR);
    // A row of a period the policy no longer counts in is not current.
    statements.reserve(id(), "listed", "agent:x", BudgetDao.MONTH, "ten_x", 500L, null, 20, BigDecimal.ZERO, HOUR);

    List<BudgetDao.Current> all = dao.current(null, null, null, null, 10);
    assertThat(all).extracting(BudgetDao.Current::subject).containsExactly("agent:x", "agent:y");
    BudgetDao.Current x = all.get(0);
    assertThat(x.version()).isEqualTo(1);
    assertThat(x.limitTokens()).isEqualTo(500);
    assertThat(x.limitCost()).isNull();
    assertThat(x.spentTokens()).isEqualTo(70);
    assertThat(x.spentCost()).isEqualByComparingTo("0.07");
    assertThat(x.remainingTokens()).isEqualTo(430);
    assertThat(x.remainingCost()).isNull();
    assertThat(dao.current("ten_y", null, null, null, 10)).extracting(BudgetDao.Current::subject).containsExactly("agent:y");
    assertThat(dao.current(null, "listed", "listed", "agent:x", 10)).extracting(BudgetDao.Current::subject).containsExactly("agent:y");

    BudgetDao.Totals t = dao.totals().stream().filter(r -> r.policy().equals("listed")).findFirst().orElseThrow();
    assertThat(t.per()).isEqualTo("agent");
    assertThat(t.subjects()).isEqualTo(2);
    assertThat(t.spentTokens()).isEqualTo(70);
    assertThat(t.reservedTokens()).isEqualTo(20);
    assertThat(t.maxSpentTokens()).isEqualTo(70);

    // The policy is raised: its listing shows the new limit at once, and its version.
    policies.upsert(
        new PolicyDefinition("listed", null, PolicyDefinition.BUDGET, null, null,
            new PolicyDefinition.Budget(1000L, null, BudgetDao.DAY, "agent"), null, null, null));
    BudgetDao.Current raised = dao.current(null, "listed", null, null, 1).get(0);
    assertThat(raised.version()).isEqualTo(2);
    assertThat(raised.remainingTokens()).isEqualTo(930);
    // Deleted: nothing of it is current.
    policies.delete("listed");
    assertThat(dao.current(null, "listed", null, null, 10)).isEmpty();
  }
}
