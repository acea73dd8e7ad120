package dev.gatehouse.frontend.core.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SharesTest {
  @Test
  void aKeyTakesUpToItsCeilingAndOthersAreNotCounted() {
    Shares shares = new Shares();
    assertTrue(shares.take("a", 2));
    assertTrue(shares.take("a", 2));
    assertFalse(shares.take("a", 2), "the third place of a key with a ceiling of 2");
    assertEquals(2, shares.held("a"));
    assertTrue(shares.take("b", 2), "another key's places are its own");
    assertTrue(shares.take("a", 3), "each take brings its own ceiling");
    assertEquals(3, shares.held("a"));
  }

  @Test
  void placesGivenBackCanBeTakenAgainAndAnEmptyKeyLeavesNoEntry() {
    Shares shares = new Shares();
    shares.take("a", 1);
    assertFalse(shares.take("a", 1));
    shares.giveBack("a");
    assertEquals(0, shares.held("a"));
    assertEquals(0, shares.keys(), "a key holding nothing has no entry");
    assertTrue(shares.take("a", 1));
    shares.giveBack("b");
    assertEquals(0, shares.held("b"), "giving back what a key does not hold does not go below zero");
    assertEquals(1, shares.keys());
  }

  @Test
  void takesArrivingTogetherDoNotPassTheCeiling() throws Exception {
    Shares shares = new Shares();
    int threads = 8;
    int attemptsEach = 2_000;
    AtomicInteger taken = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < attemptsEach; i++) {
          if (shares.take("k", 5)) {
            taken.incrementAndGet();
          }
        }
      });
      thread.start();
      all.add(thread);
    }
    start.countDown();
    for (Thread thread : all) {
      thread.join();
    }
    assertEquals(5, taken.get());
    assertEquals(5, shares.held("k"));
  }
}
