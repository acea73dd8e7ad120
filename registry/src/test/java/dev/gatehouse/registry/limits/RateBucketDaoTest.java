package dev.gatehouse.registry.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.registry.testing.TestDatabase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The token buckets on the real PostgreSQL: refill and take in one statement, and, with many
 * concurrent takes from two separate connection sources (two replicas), never more admitted than
 * the bucket held plus what it refilled meanwhile.
 */
class RateBucketDaoTest {
  static TestDatabase db;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @Test
  void theBucketsAreUnloggedSoATakeCommitsWithoutWaitingForTheWalWhileBudgetsStayLogged() {
    // 'u' unlogged, 'p' permanent (logged): see V13__rate_buckets_unlogged.sql for what that gives up.
    String persistence =
        "SELECT relname || ':' || CAST(relpersistence AS text) FROM pg_class WHERE relname IN ('rate_buckets', 'budgets', 'budget_reservations') "
            + "AND relnamespace = 'public'::regnamespace ORDER BY relname";
    List<String> found = db.jdbi().withHandle(h -> h.createQuery(persistence).mapTo(String.class).list());
    assertThat(found).containsExactly("budget_reservations:p", "budgets:p", "rate_buckets:u");
  }

  @Test
  void aNewBucketStartsFullAndRefusesWhatItCannotCover() {
    RateBucketDao dao = db.jdbi().onDemand(RateBucketDao.class);
    // 3 per minute: no refill to speak of within the test.
    double rate = 3 / 60.0;
    assertThat(dao.take("rpm:a", 3, rate, 1).admitted()).isTrue();
    assertThat(dao.take("rpm:a", 3, rate, 1).admitted()).isTrue();
    RateBucketDao.Take third = dao.take("rpm:a", 3, rate, 1);
    assertThat(third.admitted()).isTrue();
    assertThat(third.tokens()).isBetween(0.0, 0.1);
    RateBucketDao.Take fourth = dao.take("rpm:a", 3, rate, 1);
    assertThat(fourth.admitted()).isFalse();
    assertThat(fourth.tokens()).isLessThan(1.0);
    // Another key is another bucket; a cost over the capacity is never admitted, and spends nothing.
    assertThat(dao.take("rpm:b", 3, rate, 4).admitted()).isFalse();
    assertThat(dao.take("rpm:b", 3, rate, 3).admitted()).isTrue();
  }

  @Test
  void aBucketRefillsWithTimeAndTakesTokensByCost() throws Exception {
    RateBucketDao dao = db.jdbi().onDemand(RateBucketDao.class);
    // 1,000 tokens per minute, about 16.7 per second: a token-per-minute limit takes a call's tokens.
    double rate = 1000 / 60.0;
    assertThat(dao.take("tpm:a", 1000, rate, 990).admitted()).isTrue();
    assertThat(dao.take("tpm:a", 1000, rate, 100).admitted()).isFalse();
    Thread.sleep(700);
    RateBucketDao.Take later = dao.take("tpm:a", 1000, rate, 10);
    assertThat(later.admitted()).isTrue();
    // 10 left, about 11.7 refilled in 0.7 s, 10 taken.
    assertThat(later.tokens()).isBetween(8.0, 30.0);
    // A settled reservation gives back what it did not use, never past the capacity.
    assertThat(new RateBucketStatements(db.jdbi()).settle(new String[] {"tpm:a"}, new double[] {1000}, new double[] {5000})).isEqualTo(1);
    assertThat(dao.take("tpm:a", 1000, rate, 1000).admitted()).isTrue();
  }

  @Test
  void manyConcurrentTakesFromTwoReplicasNeverAdmitMoreThanTheBucketHeld() throws Exception {
    Jdbi replicaA = db.jdbi();
    Jdbi replicaB = db.jdbi();
    double capacity = 50;
    double rate = 50 / 60.0;
    int requests = 400;
    ExecutorService pool = Executors.newFixedThreadPool(16);
    long started = System.nanoTime();
    List<Future<Boolean>> results = new ArrayList<>();
    try {
      for (int i = 0; i < requests; i++) {
        Jdbi jdbi = i % 2 == 0 ? replicaA : replicaB;
        Callable<Boolean> take = () -> jdbi.onDemand(RateBucketDao.class).take("rpm:shared", capacity, rate, 1).admitted();
        results.add(pool.submit(take));
      }
      int admitted = 0;
      for (Future<Boolean> f : results) {
        if (f.get(60, TimeUnit.SECONDS)) {
          admitted++;
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf(
          "rate buckets: %d of %d admitted in %.2f s; bound %.1f (capacity %.0f + %.2f refilled)%n",
          admitted, requests, seconds, capacity + rate * seconds, capacity, rate * seconds);
      // Never more than the bucket held and refilled while the takes ran; and not far under either:
      // every token the bucket had went to some request.
      assertThat(admitted).isLessThanOrEqualTo((int) Math.floor(capacity + rate * seconds));
      assertThat(admitted).isGreaterThanOrEqualTo((int) capacity);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void takeAllDecidesEachBucketInOneStatementAndListsThemInKeyOrder() {
    RateBucketDao dao = db.jdbi().onDemand(RateBucketDao.class);
    RateBucketStatements statements = new RateBucketStatements(db.jdbi());
    double slow = 1 / 60.0;
    // Spend rpm:all-b down to 0 first.
    assertThat(dao.take("rpm:all-b", 2, slow, 2).admitted()).isTrue();
    List<RateBucketDao.KeyedTake> takes =
        statements.takeAll(
            new String[] {"tpm:all-c", "rpm:all-b", "rpm:all-a"},
            new double[] {1000, 2, 5},
            new double[] {1000 / 60.0, slow, 5 / 60.0},
            new double[] {400, 1, 1});
    assertThat(takes).extracting(RateBucketDao.KeyedTake::key).containsExactly("rpm:all-a", "rpm:all-b", "tpm:all-c");
    assertThat(takes).extracting(RateBucketDao.KeyedTake::admitted).containsExactly(true, false, true);
    assertThat(takes.get(0).tokens()).isBetween(4.0, 4.1);
    assertThat(takes.get(1).tokens()).isBetween(0.0, 0.1);
    assertThat(takes.get(2).tokens()).isBetween(600.0, 601.0);

    // Settling: 300 of the 400 reserved were not used; then a call that used 5,000 more than it
    // reserved leaves that debt (five buckets: it was capped at one, so a call with a large n used
    // a limit several times over and paid back one minute of it), and one far larger a debt of
    // nine buckets, which ten idle minutes pay back.
    assertThat(statements.settle(new String[] {"tpm:all-c"}, new double[] {1000}, new double[] {300})).isEqualTo(1);
    assertThat(statements.takeAll(new String[] {"tpm:all-c"}, new double[] {1000}, new double[] {1000 / 60.0}, new double[] {900}).get(0).admitted())
        .isTrue();
    statements.settle(new String[] {"tpm:all-c", "tpm:unknown"}, new double[] {1000, 10}, new double[] {-5000, 1});
    RateBucketDao.KeyedTake inDebt =
        statements.takeAll(new String[] {"tpm:all-c"}, new double[] {1000}, new double[] {1000 / 60.0}, new double[] {1}).get(0);
    assertThat(inDebt.admitted()).isFalse();
    assertThat(inDebt.tokens()).isBetween(-5000.0, -4990.0);
    statements.settle(new String[] {"tpm:all-c"}, new double[] {1000}, new double[] {-1_000_000});
    RateBucketDao.KeyedTake deepest =
        statements.takeAll(new String[] {"tpm:all-c"}, new double[] {1000}, new double[] {1000 / 60.0}, new double[] {1}).get(0);
    assertThat(deepest.admitted()).isFalse();
    assertThat(deepest.tokens()).isBetween(-9000.0, -8990.0);
  }

  @Test
  void manyConcurrentMultiBucketTakesFromTwoReplicasNeverOverspendEitherBucket() throws Exception {
    // Every call takes from a shared bucket and one of two per-agent buckets, listed in differing
    // orders: locked in key order, no two statements deadlock, and no bucket gives more than it held.
    Jdbi replicaA = db.jdbi();
    Jdbi replicaB = db.jdbi();
    double rate = 1 / 600.0;
    int requests = 300;
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<List<RateBucketDao.KeyedTake>>> results = new ArrayList<>();
    try {
      for (int i = 0; i < requests; i++) {
        Jdbi jdbi = i % 2 == 0 ? replicaA : replicaB;
        String own = i % 3 == 0 ? "m:agent-x" : "m:agent-y";
        String[] keys = i % 2 == 0 ? new String[] {"m:shared", own} : new String[] {own, "m:shared"};
        double[] capacities = i % 2 == 0 ? new double[] {40, 30} : new double[] {30, 40};
        results.add(
            pool.submit(() -> new RateBucketStatements(jdbi).takeAll(keys, capacities, new double[] {rate, rate}, new double[] {1, 1})));
      }
      int shared = 0;
      int x = 0;
      int y = 0;
      for (Future<List<RateBucketDao.KeyedTake>> f : results) {
        for (RateBucketDao.KeyedTake t : f.get(60, TimeUnit.SECONDS)) {
          if (t.admitted()) {
            switch (t.key()) {
              case "m:shared" -> shared++;
              case "m:agent-x" -> x++;
              default -> y++;
            }
          }
        }
      }
      assertThat(shared).isEqualTo(40);
      assertThat(x).isEqualTo(30);
      assertThat(y).isEqualTo(30);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void idleBucketsAreForgotten() {
    RateBucketDao dao = db.jdbi().onDemand(RateBucketDao.class);
    dao.take("rpm:idle", 5, 1, 1);
    assertThat(dao.deleteIdleSince(Instant.now().plusSeconds(60))).isGreaterThanOrEqualTo(1);
    assertThat(dao.take("rpm:idle", 5, 1, 5).admitted()).as("a forgotten bucket starts full").isTrue();
  }
}
