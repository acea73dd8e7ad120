package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelBudget;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.model.ModelCallUsage;
import io.temporal.failure.ApplicationFailure;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A FAKE model behind {@code Model.Call} for agent-loop tests: it answers from a script chosen by
 * the model alias, no network. Like the real activity, it refuses a call whose worst case (here:
 * the request's characters / 4 plus its {@code max_tokens}, and {@link #PRICE} per call) would
 * pass the call's {@link ModelBudget}; the real check (Gatehouse's token count and the registry's
 * prices) is tested in the activities module.
 *
 * <ul>
 *   <li>{@code fake-parallel}: asks for {@code lookup} twice at once, then answers with what the
 *       tools returned;
 *   <li>{@code fake-forbidden}: asks for a tool the task does not offer, and for {@code lookup}
 *       with arguments its schema refuses, then answers with the errors it read;
 *   <li>{@code fake-greedy}: always asks for one more {@code lookup} (never answers);
 *   <li>{@code fake-slow}: asks for {@code slow}, which runs until cancelled;
 *   <li>{@code fake-slow-and-refused}: asks for a {@code lookup} its schema refuses and a {@code
 *       slow} at once;
 *   <li>{@code fake-approval}: asks for {@code danger} twice (a tool that needs approval) and
 *       {@code lookup} once, then answers with what it read;
 *   <li>{@code fake-report}: asks for a {@code report} of 12,000 characters, then for one of
 *       40,000, then answers with the length of each tool result it read.
 * </ul>
 *
 * <p>Like the real {@code Model.Call}, it reads a tool message's stored result back (from the
 * fake tools' {@link FakeAgentTools#stored}) before it answers: {@link #requests} are the requests
 * as the workflow sent them, {@link #seen} as the model read them.
 */
class ScriptedModel implements ModelActivities {
  static final long INPUT_TOKENS = 100;
  static final long OUTPUT_TOKENS = 20;
  static final BigDecimal PRICE = new BigDecimal("0.01");

  final List<ModelCallRequest> requests = new CopyOnWriteArrayList<>();
  final List<ObjectNode> seen = new CopyOnWriteArrayList<>();
  private final Map<String, String> stored;

  ScriptedModel() {
    this(Map.of());
  }

  /** A model that reads stored results from {@code stored}. */
  ScriptedModel(Map<String, String> stored) {
    this.stored = stored;
  }

  @Override
  public ModelCallResult call(ModelCallRequest request) {
    refuseOverBudget(request);
    requests.add(request);
    ObjectNode body = resolve(request.body());
    seen.add(body);
    JsonNode messages = body.path("messages");
    List<JsonNode> toolResults = new java.util.ArrayList<>();
    for (JsonNode m : messages) {
      if ("tool".equals(m.path("role").asText())) {
        toolResults.add(m);
      }
    }
    return switch (request.model()) {
      case "fake-parallel" -> toolResults.isEmpty()
          ? asks(call("c1", "lookup", "{\"q\":\"a\"}"), call("c2", "lookup", "{\"q\":\"b\"}"))
          : says("found " + contents(toolResults));
      case "fake-forbidden" -> toolResults.isEmpty()
          ? asks(call("c1", "secret_tool", "{}"), call("c2", "lookup", "{\"q\":42}"), call("c3", "lookup", "not json"))
          : says("errors " + contents(toolResults));
      case "fake-greedy" -> asks(call("c" + requests.size(), "lookup", "{\"q\":\"more\"}"));
      case "fake-slow" -> toolResults.isEmpty() ? asks(call("c1", "slow", "{}")) : says("slow done");
      case "fake-slow-and-refused" -> toolResults.isEmpty()
          ? asks(call("c1", "lookup", "{\"q\":1}"), call("c2", "slow", "{}"))
          : says("done");
      case "fake-report" -> toolResults.isEmpty()
          ? asks(call("c1", "report", "{\"size\":12000}"))
          : toolResults.size() == 1
              ? asks(call("c2", "report", "{\"size\":40000}"))
              : says("read " + toolResults.stream().map(m -> String.valueOf(m.path("content").asText().length())).toList());
      case "fake-approval" -> toolResults.isEmpty()
          ? asks(call("c1", "danger", "{\"id\":7,\"why\":\"cleanup\"}"), call("c2", "danger", "{\"id\":8}"), call("c3", "lookup", "{\"q\":\"x\"}"))
          : says("results " + contents(toolResults));
      default -> throw ApplicationFailure.newNonRetryableFailure("no model '" + request.model() + "'", "model_not_found");
    };
  }

  /** The request with each stored result read back, as {@code Model.Call} does. */
  private ObjectNode resolve(ObjectNode body) {
    ObjectNode copy = body.deepCopy();
    for (JsonNode m : copy.path("messages")) {
      JsonNode ref = ((ObjectNode) m).remove(AgentTranscript.RESULT_MEMBER);
      if (ref != null) {
        String text = stored.get(ref.asText());
        ((ObjectNode) m).put("content", text == null ? "unavailable" : AgentTranscript.storedResultText(text, text.length()));
      }
    }
    return copy;
  }

  private static void refuseOverBudget(ModelCallRequest request) {
    ModelBudget budget = request.budget();
    if (budget == null) {
      return;
    }
    long worst = request.body().toString().length() / 4 + request.body().path("max_tokens").asLong();
    if (budget.maxTokens() != null && worst > budget.maxTokens()) {
      throw ApplicationFailure.newNonRetryableFailure("over the task's tokens", ModelBudget.BUDGET_EXCEEDED);
    }
    if (budget.maxCost() != null && PRICE.compareTo(new BigDecimal(budget.maxCost())) > 0) {
      throw ApplicationFailure.newNonRetryableFailure("over the task's cost", ModelBudget.BUDGET_EXCEEDED);
    }
  }

  private static String contents(List<JsonNode> toolResults) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode m : toolResults) {
      sb.append(m.path("tool_call_id").asText()).append('=').append(m.path("content").asText()).append(';');
    }
    return sb.toString();
  }

  private static ObjectNode call(String id, String name, String arguments) {
    ObjectNode c = JsonNodeFactory.instance.objectNode().put("id", id).put("type", "function");
    c.putObject("function").put("name", name).put("arguments", arguments);
    return c;
  }

  private static ModelCallResult asks(ObjectNode... calls) {
    ObjectNode message = JsonNodeFactory.instance.objectNode().put("role", "assistant").putNull("content");
    ArrayNode list = message.putArray("tool_calls");
    for (ObjectNode c : calls) {
      list.add(c);
    }
    return result(null, message, "tool_calls");
  }

  private static ModelCallResult says(String text) {
    return result(text, JsonNodeFactory.instance.objectNode().put("role", "assistant").put("content", text), "stop");
  }

  private static ModelCallResult result(String text, ObjectNode message, String finish) {
    return new ModelCallResult(
        text, message, finish, new ModelCallUsage(INPUT_TOKENS, 0, OUTPUT_TOKENS, 0, false), PRICE.toPlainString(), "fake-provider", "fake-1", 3);
  }
}
