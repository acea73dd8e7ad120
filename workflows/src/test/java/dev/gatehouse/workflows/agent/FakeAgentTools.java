package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.workflows.tool.StoredResult;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolFailureTypes;
import dev.gatehouse.workflows.tool.ToolResults;
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

/**
 * Fake tools for agent-loop tests. {@code lookup} needs a string {@code q} (else it refuses the
 * arguments, as the real activity's schema check does); {@code q} of {@code a} or {@code b} wait
 * for each other, so the test fails unless both run at once. {@code slow} runs until cancelled.
 * {@code report} answers a text of {@code size} characters ({@link #report}); like the real
 * activity, a result longer than the request's {@code storeOver} is kept in {@link #stored} (here
 * in memory: the real store, PostgreSQL, is tested in the activities module) and a reference
 * returned instead.
 */
class FakeAgentTools implements ToolActivities {
  final List<ToolCallRequest> calls = new CopyOnWriteArrayList<>();
  /** The results stored outside the history, by id. */
  final Map<String, String> stored = new ConcurrentHashMap<>();
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
      case "report" -> {
        String text = report(request.args().path("size").asInt());
        ToolCallResult whole = new ToolCallResult(200, JsonNodeFactory.instance.textNode(text));
        if (request.storeOver() == null || text.length() <= request.storeOver()) {
          return whole;
        }
        String id = "res_" + String.format("%020d", stored.size() + 1);
        stored.put(id, text);
        return whole.storedAs(new StoredResult(id, text.length(), ToolResults.preview(text)));
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

  /** A text of {@code size} characters whose every line says where it is: {@code line 42 ....}. */
  static String report(int size) {
    StringBuilder sb = new StringBuilder(size);
    for (int line = 1; sb.length() < size; line++) {
      sb.append("line ").append(line).append(' ').append(".".repeat(40)).append('\n');
    }
    sb.setLength(size);
    return sb.toString();
  }
}
