package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.model.ModelCallUsage;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake model provider behind {@code Model.Call}, for workflow tests (the real invoker is tested
 * in the activities module). Behaviour is chosen by model alias: {@code fake-echo} answers with
 * the text of the last message, {@code fake-busy} is rate limited on its first two attempts,
 * {@code fake-forbidden} refuses for good as the invoker does for a model the agent may not use.
 */
class FakeModelActivities implements ModelActivities {
  final List<ModelCallRequest> requests = new CopyOnWriteArrayList<>();
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  final List<String> events = new CopyOnWriteArrayList<>();

  @Override
  public ModelCallResult call(ModelCallRequest request) {
    int attempt = Activity.getExecutionContext().getInfo().getAttempt();
    requests.add(request);
    calls.computeIfAbsent(request.stepId(), k -> new AtomicInteger()).incrementAndGet();
    events.add("model:" + request.stepId());
    switch (request.model()) {
      case "fake-echo" -> {
        return answer(request, "echo: " + lastText(request.body()));
      }
      case "fake-busy" -> {
        if (attempt <= 2) {
          throw ApplicationFailure.newFailureWithCauseAndDelay(
              "the provider answered 429", "rate_limited", null, Duration.ofMillis(20));
        }
        return answer(request, "answered on attempt " + attempt);
      }
      case "fake-forbidden" ->
          throw ApplicationFailure.newNonRetryableFailure(
              "this agent may not use model 'fake-forbidden'", "model_not_allowed");
      default -> throw ApplicationFailure.newNonRetryableFailure("no such model", "model_not_found");
    }
  }

  private static String lastText(JsonNode body) {
    JsonNode messages = body.path("messages");
    return messages.get(messages.size() - 1).path("content").asText();
  }

  private static ModelCallResult answer(ModelCallRequest request, String text) {
    ObjectNode message = JsonNodeFactory.instance.objectNode().put("role", "assistant").put("content", text);
    return new ModelCallResult(
        text, message, "stop", new ModelCallUsage(12, 4, text.length(), 0, false), "0.000123", "fake-provider", "fake-model-1", 7);
  }
}
