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

  @Test
  void lanesRunOnThreadsOfTheirOwnNotOnReactorsSharedPool() throws Exception {
    DeliveryLane lane = new DeliveryLane();
    java.util.concurrent.CompletableFuture<String> name = new java.util.concurrent.CompletableFuture<>();
    lane.run(() -> name.complete(Thread.currentThread().getName()));
    assertThat(name.get(5, TimeUnit.SECONDS)).startsWith("mcp-delivery").doesNotContain("boundedElastic");
    lane.close();
  }

  /**
   * An agent that does not read what a server sends it: the lane's task blocks, and what the
   * server may send without end is dropped once {@link DeliveryLane#MAX_WAITING} tasks wait, while
   * what must arrive (a response) still waits its turn.
   */
  @Test
  void offeredTasksAreDroppedOnceTheLaneIsFullAndOthersStillWait() throws Exception {
    DeliveryLane lane = new DeliveryLane();
    CountDownLatch release = new CountDownLatch(1);
    List<String> ran = new CopyOnWriteArrayList<>();
    lane.run(() -> await(release)); // the agent's stream is not read
    int accepted = 0;
    for (int i = 0; i < 500; i++) {
      int n = i;
      if (lane.offer(() -> ran.add("progress " + n))) {
        accepted++;
      }
    }
    assertThat(accepted).isEqualTo(DeliveryLane.MAX_WAITING - 1);
    assertThat(lane.dropped()).isEqualTo(500 - accepted);
    CountDownLatch answered = new CountDownLatch(1);
    lane.run(
        () -> {
          ran.add("response");
          answered.countDown();
        });
    release.countDown();
    assertThat(answered.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(ran).hasSize(accepted + 1).startsWith("progress 0").endsWith("response");
    // Once the lane has drained, it takes offered tasks again.
    CountDownLatch again = new CountDownLatch(1);
    assertThat(lane.offer(again::countDown)).isTrue();
    assertThat(again.await(5, TimeUnit.SECONDS)).isTrue();
    lane.close();
  }

  /** Through the messages a server sends: progress is lossy when its lane is full, a response is not. */
  @Test
  void aFloodOfProgressForAnAgentThatDoesNotReadIsDroppedButTheResponseArrives() throws Exception {
    DeliveryLane lane = new DeliveryLane();
    ServerMessages messages = new ServerMessages(McpJson.MAPPER, lane, new DirectRequests(lane), (version, ok) -> {});
    CountDownLatch release = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger progress = new java.util.concurrent.atomic.AtomicInteger();
    CountDownLatch response = new CountDownLatch(1);
    messages.handler(
        m ->
            m.doOnNext(
                msg -> {
                  if (msg instanceof io.modelcontextprotocol.spec.McpSchema.JSONRPCNotification) {
                    await(release); // the first one blocks, as a write to an agent that does not read does
                    progress.incrementAndGet();
                  } else {
                    response.countDown();
                  }
                }));
    for (int i = 0; i < 1000; i++) {
      messages.fromJsonBody(
          "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\",\"progress\":" + i + "}}", null);
    }
    messages.fromJsonBody("{\"jsonrpc\":\"2.0\",\"id\":\"sdk-1\",\"result\":{}}", null);
    assertThat(lane.dropped()).isEqualTo(1000 - (DeliveryLane.MAX_WAITING));
    release.countDown();
    assertThat(response.await(5, TimeUnit.SECONDS)).as("the response is never dropped").isTrue();
    assertThat(progress.get()).isEqualTo(DeliveryLane.MAX_WAITING);
    lane.close();
  }

  /**
   * The SDK client fetches the whole list for every list change it is handed: a probe's server that
   * sent them without end had it fetch its list 13,049 times in 25 s. While one is followed, those
   * that come meanwhile make one more, once it is done.
   */
  @Test
  void listChangesAreHandedOnOneAtATimeWithOneMoreForThoseThatCameMeanwhile() throws Exception {
    DeliveryLane lane = new DeliveryLane();
    ServerMessages messages = new ServerMessages(McpJson.MAPPER, lane, new DirectRequests(lane), (version, ok) -> {});
    java.util.concurrent.atomic.AtomicInteger toolFetches = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger promptFetches = new java.util.concurrent.atomic.AtomicInteger();
    reactor.core.publisher.Sinks.Empty<Void> firstFetch = reactor.core.publisher.Sinks.empty();
    CountDownLatch twoToolFetches = new CountDownLatch(2);
    messages.handler(
        m ->
            m.flatMap(
                msg -> {
                  String method = ((io.modelcontextprotocol.spec.McpSchema.JSONRPCNotification) msg).method();
                  if (method.equals("notifications/prompts/list_changed")) {
                    promptFetches.incrementAndGet();
                    return reactor.core.publisher.Mono.empty();
                  }
                  twoToolFetches.countDown();
                  // the first fetch takes until released, as a large list does
                  return toolFetches.incrementAndGet() == 1 ? firstFetch.asMono().then(reactor.core.publisher.Mono.empty()) : reactor.core.publisher.Mono.empty();
                }));
    for (int i = 0; i < 1000; i++) {
      messages.fromJsonBody("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}", null);
    }
    messages.fromJsonBody("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/prompts/list_changed\"}", null);
    Thread.sleep(200);
    assertThat(toolFetches.get()).as("one followed while it is fetched").isEqualTo(1);
    assertThat(promptFetches.get()).as("another kind is not held up").isEqualTo(1);

    firstFetch.tryEmitEmpty();
    assertThat(twoToolFetches.await(5, TimeUnit.SECONDS)).isTrue();
    Thread.sleep(200);
    assertThat(toolFetches.get()).as("one more for the 999 that came meanwhile").isEqualTo(2);

    messages.fromJsonBody("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}", null);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (toolFetches.get() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(toolFetches.get()).as("a change after they were followed is followed").isEqualTo(3);
    lane.close();
  }

  /** A progress or log notification over the cap is dropped before it is parsed; a response of any size is not. */
  @Test
  void aNotificationOverTheCapIsDroppedButAResponseIsNot() throws Exception {
    DeliveryLane lane = new DeliveryLane();
    ServerMessages messages = new ServerMessages(McpJson.MAPPER, lane, new DirectRequests(lane), (version, ok) -> {});
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    messages.handler(m -> m.doOnNext(msg -> seen.add(msg instanceof io.modelcontextprotocol.spec.McpSchema.JSONRPCNotification n ? n.method() : "response")));
    String huge = "x".repeat(ServerMessages.MAX_NOTICE_CHARS);
    messages.fromJsonBody("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"" + huge + "\"}}", null);
    assertThat(messages.fromEvent("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\",\"progress\":1,\"message\":\"" + huge + "\"}}", null)).isFalse();
    messages.fromJsonBody("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\",\"progress\":2,\"message\":\"small\"}}", null);
    messages.fromJsonBody("{\"jsonrpc\":\"2.0\",\"id\":\"sdk-9\",\"result\":{\"text\":\"" + huge + "\"}}", null);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (seen.size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(seen).containsExactly("notifications/progress", "response");
    lane.close();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
