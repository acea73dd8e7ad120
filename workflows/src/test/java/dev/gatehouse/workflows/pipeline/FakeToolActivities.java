package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.temporal.activity.Activity;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake tool upstream for workflow tests (the real HTTP connector is tested in the activities
 * module). Behaviour is chosen by tool name.
 */
class FakeToolActivities implements ToolActivities {
  final List<String> events = new CopyOnWriteArrayList<>();
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  final Map<String, String> idempotencyKeys = new ConcurrentHashMap<>();
  final List<String> callers = new CopyOnWriteArrayList<>();
  final CyclicBarrier barrier = new CyclicBarrier(2);
  final CountDownLatch blockStarted = new CountDownLatch(1);
  /** How each {@code block} step was told to stop, by step id: what its heartbeat threw. */
  final Map<String, ActivityCompletionException> blockStopped = new ConcurrentHashMap<>();
  final CountDownLatch blockStoppedLatch = new CountDownLatch(1);
  final CountDownLatch holdStarted = new CountDownLatch(1);
  final CountDownLatch release = new CountDownLatch(1);
  volatile int flakyFailures = 2;

  @Override
  public ToolCallResult call(ToolCallRequest request) {
    var info = Activity.getExecutionContext().getInfo();
    calls.computeIfAbsent(request.stepId(), k -> new AtomicInteger()).incrementAndGet();
    idempotencyKeys.merge(request.stepId(), info.getWorkflowId() + "/" + info.getActivityId(), (a, b) -> a.equals(b) ? a : a + "|" + b);
    events.add("start:" + request.stepId());
    callers.add(request.caller() == null ? "none" : request.caller().tenantId() + "/" + request.caller().agentId());
    try {
      return new ToolCallResult(200, run(request, info.getAttempt()));
    } finally {
      events.add("end:" + request.stepId());
    }
  }

  private JsonNode run(ToolCallRequest r, int attempt) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    switch (r.tool()) {
      case "echo" -> out.set("args", r.args());
      case "add" -> out.put("sum", r.args().path("a").asDouble() + r.args().path("b").asDouble());
      case "flaky" -> {
        if (attempt <= flakyFailures) {
          throw ApplicationFailure.newFailure("upstream answered 503", ToolFailureTypes.UPSTREAM_ERROR);
        }
        out.put("attempt", attempt);
      }
      case "big" -> out.put("text", "x".repeat(200_000));
      case "reject" ->
          throw ApplicationFailure.newNonRetryableFailure(
              "upstream answered 400", ToolFailureTypes.UPSTREAM_CLIENT_ERROR);
      case "barrier" -> {
        try {
          barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw ApplicationFailure.newNonRetryableFailure("steps did not run in parallel", "NotParallel");
        }
        out.put("ok", true);
      }
      case "block" -> {
        // Runs until told to stop, which an activity hears only as its heartbeat's answer.
        blockStarted.countDown();
        while (true) {
          try {
            Activity.getExecutionContext().heartbeat(null);
          } catch (ActivityCompletionException stop) {
            blockStopped.put(r.stepId(), stop);
            blockStoppedLatch.countDown();
            throw stop;
          }
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted", "Interrupted");
          }
        }
      }
      case "hold" -> {
        // An upstream call that never heartbeats, so it cannot hear a cancellation: it ends when
        // the test releases it.
        holdStarted.countDown();
        try {
          if (!release.await(30, TimeUnit.SECONDS)) {
            throw ApplicationFailure.newNonRetryableFailure("never released", "NotReleased");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw ApplicationFailure.newFailure("interrupted", "Interrupted");
        }
        out.put("released", true);
      }
      default -> throw ApplicationFailure.newNonRetryableFailure("no fake for " + r.tool(), "UnknownTool");
    }
    return out;
  }
}
