package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.temporal.activity.Activity;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

/**
 * Fake tools for agent-loop tests. {@code lookup} needs a string {@code q} (else it refuses the
 * arguments, as the real activity's schema check does); {@code q} of {@code a} or {@code b} wait
 * for each other, so the test fails unless both run at once. {@code slow} runs until cancelled.
 */
class FakeAgentTools implements ToolActivities {
  final List<ToolCallRequest> calls = new CopyOnWriteArrayList<>();
  final CyclicBarrier pair = new CyclicBarrier(2);
  final CountDownLatch slowStarted = new CountDownLatch(1);
  final CountDownLatch slowStopped = new CountDownLatch(1);

  @Override
  public ToolCallResult call(ToolCallRequest request) {
    calls.add(request);
    switch (request.tool()) {
      case "lookup" -> {
        if (!request.args().path("q").isTextual()) {
          throw ApplicationFailure.newNonRetryableFailure(
              "arguments do not match the tool's schema: $.q: must be a string", ToolFailureTypes.INVALID_ARGUMENTS);
        }
        String q = request.args().get("q").textValue();
        if (q.equals("a") || q.equals("b")) {
          try {
            pair.await(10, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw ApplicationFailure.newNonRetryableFailure("the two lookups did not run at once", "NotParallel");
          }
        }
        return new ToolCallResult(200, JsonNodeFactory.instance.objectNode().put("answer", "result for " + q));
      }
      case "danger" -> {
        return new ToolCallResult(200, JsonNodeFactory.instance.objectNode().put("done", request.args().path("id").asInt()));
      }
      case "slow" -> {
        slowStarted.countDown();
        try {
          while (true) {
            Activity.getExecutionContext().heartbeat(null);
            Thread.sleep(50);
          }
        } catch (ActivityCompletionException e) {
          slowStopped.countDown();
          throw e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw ApplicationFailure.newFailure("interrupted", "Interrupted");
        }
      }
      default -> throw ApplicationFailure.newNonRetryableFailure("no tool '" + request.tool() + "'", ToolFailureTypes.UNKNOWN_TOOL);
    }
  }
}
