package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The delivery lane: order, the thread tasks run on, and closing. */
class DeliveryLaneTest {

  @Test
  void tasksRunInTheOrderGivenOffTheCallersThread() throws Exception {
    DeliveryLane lane = new DeliveryLane();
    Thread caller = Thread.currentThread();
    List<Integer> order = new CopyOnWriteArrayList<>();
    List<Thread> threads = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1000);
    for (int i = 0; i < 1000; i++) {
      int n = i;
      lane.run(
          () -> {
            order.add(n);
            threads.add(Thread.currentThread());
            done.countDown();
          });
    }
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsExactlyElementsOf(IntStream.range(0, 1000).boxed().toList());
    assertThat(threads).doesNotContain(caller);
    lane.close();
  }

  @Test
  void runNowIfIdleRunsInlineOnlyWhenNothingIsWaiting() throws Exception {
    DeliveryLane lane = new DeliveryLane();
    Thread caller = Thread.currentThread();
    Thread[] ranOn = new Thread[1];
    lane.runNowIfIdle(() -> ranOn[0] = Thread.currentThread());
    assertThat(ranOn[0]).as("ran at once, on the caller's thread").isSameAs(caller);

    // A task in the lane that has not finished: what comes next waits for it.
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    lane.run(
        () -> {
          await(release);
          order.add("before");
        });
    lane.runNowIfIdle(
        () -> {
          order.add("after");
          done.countDown();
        });
    assertThat(order).as("not run while an earlier task is in the lane").isEmpty();
    release.countDown();
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsExactly("before", "after");
    lane.close();
  }

  @Test
  void closingRunsWhatIsInTheLaneFirstAndLaterTasksOnTheCallersThread() throws Exception {
    DeliveryLane lane = new DeliveryLane();
    List<Integer> order = new CopyOnWriteArrayList<>();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(3);
    lane.run(() -> await(release));
    for (int i = 0; i < 3; i++) {
      int n = i;
      lane.run(
          () -> {
            order.add(n);
            done.countDown();
          });
    }
    lane.close();
    release.countDown();
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsExactly(0, 1, 2);

    // Once the lane is closed, a late task still runs: on the caller's thread, at once.
    Thread caller = Thread.currentThread();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    Thread[] ranOn = new Thread[1];
    while (ranOn[0] != caller && System.nanoTime() < deadline) {
      lane.run(() -> ranOn[0] = Thread.currentThread()); // queued (or dropped) until the close is done
      Thread.onSpinWait();
    }
    assertThat(ranOn[0]).isSameAs(caller);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
