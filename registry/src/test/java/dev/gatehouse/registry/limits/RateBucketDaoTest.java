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
    assertThat(dao.giveBack("tpm:a", 1000, 5000)).isEqualTo(1);
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
  void idleBucketsAreForgotten() {
    RateBucketDao dao = db.jdbi().onDemand(RateBucketDao.class);
    dao.take("rpm:idle", 5, 1, 1);
    assertThat(dao.deleteIdleSince(Instant.now().plusSeconds(60))).isGreaterThanOrEqualTo(1);
    assertThat(dao.take("rpm:idle", 5, 1, 5).admitted()).as("a forgotten bucket starts full").isTrue();
  }
}
