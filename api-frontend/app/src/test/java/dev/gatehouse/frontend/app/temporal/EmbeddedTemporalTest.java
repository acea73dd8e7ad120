package dev.gatehouse.frontend.app.temporal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The embedded engine: reached in process and over loopback TCP alike, its timer's lock-event
 * list bounded however many workflows run, and closed workflows beyond the retention dropped
 * (unknown to the engine afterwards) while running ones stay.
 */
class EmbeddedTemporalTest {
  @WorkflowInterface
  public interface Echo {
    @WorkflowMethod
    String echo(String s);
  }

  public static class EchoImpl implements Echo {
    @Override
    public String echo(String s) {
      if (s.startsWith("wait")) {
        io.temporal.workflow.Workflow.await(() -> false);
      }
      return s;
    }
  }

  /** A client of the engine over its in-process channel, and a worker running {@link EchoImpl} on queue "q". */
  private static final class EchoWorker implements AutoCloseable {
    final WorkflowServiceStubs stubs;
    final WorkflowClient client;
    final WorkerFactory workers;

    EchoWorker(EmbeddedTemporal engine) {
      stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setChannel(engine.channel()).build());
      client = WorkflowClient.newInstance(stubs);
      workers = WorkerFactory.newInstance(client);
      workers.newWorker("q").registerWorkflowImplementationTypes(EchoImpl.class);
      workers.start();
    }

    @Override
    public void close() {
      workers.shutdownNow();
      stubs.shutdownNow();
    }
  }

  @Test
  void boundsTheLockEventsAndDropsClosedWorkflowsBeyondTheRetention() {
    EmbeddedTemporal.Retention retention = new EmbeddedTemporal.Retention(5, Duration.ofHours(1), Duration.ofHours(1), 0);
    try (EmbeddedTemporal engine = EmbeddedTemporal.start("127.0.0.1", 0, retention);
        EchoWorker echo = new EchoWorker(engine)) {
      WorkflowClient client = echo.client;
      WorkflowStub running = client.newUntypedWorkflowStub("Echo", options("w-running"));
      running.start("wait");
      int n = 250; // about 6 lock events each: well past the list's bound
      for (int i = 0; i < n; i++) {
        assertEquals("x" + i, client.newWorkflowStub(Echo.class, options("w" + i)).echo("x" + i));
      }
      assertTrue(engine.lockEventsHeld() <= TestServerTrims.LOCK_EVENTS_KEPT, "lock events: " + engine.lockEventsHeld());
      assertEquals(n + 1, engine.workflowsHeld());

      // Each closed workflow still has its run-timeout timer queued (an hour away), holding its state.
      assertTrue(engine.timersHeld() >= n, "timers: " + engine.timersHeld());
      assertEquals(n - 5, engine.sweep());
      assertEquals(6, engine.workflowsHeld()); // the 5 newest closed ones and the running one
      assertTrue(engine.timersHeld() <= 6 + 2, "timers after the sweep: " + engine.timersHeld());
      assertThrows(WorkflowNotFoundException.class, () -> client.newUntypedWorkflowStub("w0").describe());
      assertEquals(
          WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
          client.newUntypedWorkflowStub("w" + (n - 1)).describe().getStatus());
      assertEquals(
          WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
          client.newUntypedWorkflowStub("w-running").describe().getStatus());
      assertEquals("x" + (n - 1), client.newUntypedWorkflowStub("w" + (n - 1)).getResult(String.class));

      // A dropped id can be started afresh; the engine keeps working after the sweep.
      assertEquals("again", client.newWorkflowStub(Echo.class, options("w0")).echo("again"));
      assertEquals(1, engine.sweep()); // now 6 closed: the oldest kept one goes
    }
  }

  @Test
  void keepsTheClosedWorkflowsItIsToldToHoldUpToTheBound() throws InterruptedException {
    // The newest 2 closed workflows are kept anyway; beyond them at most 2 held ones.
    EmbeddedTemporal.Retention retention = new EmbeddedTemporal.Retention(2, Duration.ofHours(1), Duration.ofHours(1), 2);
    try (EmbeddedTemporal engine = EmbeddedTemporal.start("127.0.0.1", 0, retention);
        EchoWorker echo = new EchoWorker(engine)) {
      WorkflowClient client = echo.client;
      for (int i = 0; i < 7; i++) {
        assertEquals("x" + i, client.newWorkflowStub(Echo.class, options("h" + i)).echo("x" + i));
        Thread.sleep(3); // the engine orders closed workflows by their close time, in milliseconds
      }
      java.util.Set<String> unarchived = java.util.concurrent.ConcurrentHashMap.newKeySet();
      unarchived.addAll(java.util.List.of("h0", "h1", "h2", "h3"));
      java.util.List<java.util.List<String>> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
      engine.hold(ids -> {
        asked.add(ids);
        return ids.stream().filter(unarchived::contains).toList();
      });

      // Beyond h6 and h5: h4 (not held) goes, and of the held h3..h0 the newest two stay.
      assertEquals(3, engine.sweep());
      assertEquals(java.util.List.of(java.util.List.of("h4", "h3", "h2", "h1", "h0")), asked, "asked about, newest first");
      assertEquals(4, engine.workflowsHeld());
      for (String kept : java.util.List.of("h6", "h5", "h3", "h2")) {
        assertEquals(
            WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
            client.newUntypedWorkflowStub(kept).describe().getStatus(), kept);
      }
      for (String gone : java.util.List.of("h4", "h1", "h0")) {
        assertThrows(WorkflowNotFoundException.class, () -> client.newUntypedWorkflowStub(gone).describe(), gone);
      }
      assertEquals(0, engine.sweep(), "still held");

      // Once archived they are let go.
      unarchived.remove("h3");
      assertEquals(1, engine.sweep());
      assertThrows(WorkflowNotFoundException.class, () -> client.newUntypedWorkflowStub("h3").describe());

      // Not knowing (the database is down) keeps what the bound allows.
      engine.hold(ids -> {
        throw new IllegalStateException("no database");
      });
      assertEquals("x7", client.newWorkflowStub(Echo.class, options("h7")).echo("x7"));
      Thread.sleep(3);
      assertEquals(0, engine.sweep(), "h5 and h2 kept while it cannot tell");
      assertEquals("x8", client.newWorkflowStub(Echo.class, options("h8")).echo("x8"));
      assertEquals(1, engine.sweep(), "the oldest beyond the bound goes");
      assertThrows(WorkflowNotFoundException.class, () -> client.newUntypedWorkflowStub("h2").describe());
    }
  }

  @Test
  void servesTheCliOverLoopbackTcpToo() {
    try (EmbeddedTemporal engine = EmbeddedTemporal.start("127.0.0.1", 0)) {
      WorkflowServiceStubs tcp =
          WorkflowServiceStubs.newServiceStubs(
              WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + engine.port()).build());
      try {
        WorkflowClient client = WorkflowClient.newInstance(tcp);
        client.newUntypedWorkflowStub("Echo", options("tcp-1")).start("hello");
        WorkflowClient inProcess =
            WorkflowClient.newInstance(
                WorkflowServiceStubs.newServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder().setChannel(engine.channel()).build()));
        assertEquals(
            WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
            inProcess.newUntypedWorkflowStub("tcp-1").describe().getStatus());
      } finally {
        tcp.shutdownNow();
      }
    }
  }

  @Test
  void refusesANonLoopbackAddress() {
    assertThrows(IllegalArgumentException.class, () -> EmbeddedTemporal.start("8.8.8.8", 0));
  }

  private static WorkflowOptions options(String id) {
    return WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue("q").setWorkflowRunTimeout(Duration.ofHours(1)).build();
  }
}
