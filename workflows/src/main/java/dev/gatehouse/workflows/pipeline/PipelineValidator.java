package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a pipeline before anything starts: step ids, that each step is a tool step ({@code tool},
 * {@code args}) or a model step ({@code model}, {@code messages}, {@code maxTokens}), dangling or
 * cyclic {@code dependsOn}, and templates that are malformed or read a step that is not
 * guaranteed to have run first.
 */
public final class PipelineValidator {

  public static final int MAX_STEPS = 200;
  /** The most messages one model step may send. */
  public static final int MAX_MESSAGES = 1000;
  private static final Pattern STEP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  /** The longest name of a tool or model a step may name (the registry's names are no longer). */
  public static final int MAX_NAME = 128;

  private PipelineValidator() {}

  /** Throws {@link InvalidPipelineException} with the first problem found. */
  public static void validate(PipelineDefinition pipeline) {
    List<PipelineStep> steps = pipeline.steps();
    if (steps.isEmpty()) {
      throw invalid("pipeline.steps must hold at least one step");
    }
    if (steps.size() > MAX_STEPS) {
      throw invalid("pipeline.steps holds " + steps.size() + " steps; at most " + MAX_STEPS);
    }
    Map<String, PipelineStep> byId = new LinkedHashMap<>();
    for (PipelineStep step : steps) {
      if (step == null || step.id() == null || !STEP_ID.matcher(step.id()).matches()) {
        throw invalid("every step needs an id of 1-64 letters, digits, '_' or '-'");
      }
      if (byId.put(step.id(), step) != null) {
        throw invalid("step id '" + step.id() + "' is used twice");
      }
      String named = step.tool() != null ? step.tool() : step.model();
      if (named != null && named.length() > MAX_NAME) {
        throw invalid("step '" + step.id() + "': a " + (step.tool() != null ? "tool" : "model") + "'s name is at most " + MAX_NAME + " characters");
      }
      if (step.tool() != null && step.model() != null) {
        throw invalid("step '" + step.id() + "' names both a tool and a model; a step calls one or the other");
      }
      if (step.callsModel()) {
        checkModelStep(step);
      } else {
        checkToolStep(step);
      }
    }
    for (PipelineStep step : steps) {
      if (step.dependsOn().size() > steps.size()) {
        throw invalid("step '" + step.id() + "' lists " + step.dependsOn().size() + " dependencies; the pipeline has " + steps.size() + " steps");
      }
      if (new HashSet<>(step.dependsOn()).size() != step.dependsOn().size()) {
        throw invalid("step '" + step.id() + "' lists a dependency twice");
      }
      for (String dep : step.dependsOn()) {
        if (!byId.containsKey(dep)) {
          throw invalid("step '" + step.id() + "' depends on unknown step '" + dep + "'");
        }
        if (dep.equals(step.id())) {
          throw invalid("step '" + step.id() + "' depends on itself");
        }
      }
    }
    checkAcyclic(byId);
    for (PipelineStep step : steps) {
      Set<String> ancestors = ancestors(step, byId);
      for (Templates.Reference ref : Templates.references(step.template())) {
        if (!ref.isInput() && !ancestors.contains(ref.stepId())) {
          throw new InvalidPipelineException(
              "invalid_template",
              "step '"
                  + step.id()
                  + "' reads steps."
                  + ref.stepId()
                  + " but does not depend on it (directly or through dependsOn)");
        }
      }
    }
  }

  private static void checkToolStep(PipelineStep step) {
    if (step.tool() == null || step.tool().isBlank()) {
      throw invalid("step '" + step.id() + "' names no tool (or model)");
    }
    if (step.args() != null && !step.args().isObject() && !step.args().isNull()) {
      throw invalid("step '" + step.id() + "': args must be an object");
    }
    if (step.messages() != null || step.maxTokens() != null) {
      throw invalid(
          "step '" + step.id() + "' is a tool step: "
              + (step.messages() != null ? "messages" : "maxTokens") + " belong to model steps");
    }
  }

  private static void checkModelStep(PipelineStep step) {
    if (step.model().isBlank()) {
      throw invalid("step '" + step.id() + "': model must name a model");
    }
    if (step.args() != null) {
      throw invalid("step '" + step.id() + "' is a model step: it takes messages, not args");
    }
    JsonNode messages = step.messages();
    if (messages == null || messages.isNull() || !messages.isArray() || messages.isEmpty()) {
      throw invalid("step '" + step.id() + "': messages must be a non-empty array of messages");
    }
    if (messages.size() > MAX_MESSAGES) {
      throw invalid("step '" + step.id() + "': messages holds " + messages.size() + " messages; at most " + MAX_MESSAGES);
    }
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      if (!m.isObject()) {
        throw invalid("step '" + step.id() + "': messages[" + i + "] must be an object with a role and content");
      }
      if (!m.path("role").isTextual() || m.path("role").textValue().isBlank()) {
        throw invalid("step '" + step.id() + "': messages[" + i + "].role must be a string (system, user, assistant, ...)");
      }
    }
    if (step.maxTokens() != null && step.maxTokens() < 1) {
      throw invalid("step '" + step.id() + "': maxTokens must be at least 1");
    }
  }

  private static void checkAcyclic(Map<String, PipelineStep> byId) {
    Map<String, Integer> state = new HashMap<>(); // 1 = on the stack, 2 = done
    for (String start : byId.keySet()) {
      if (state.containsKey(start)) {
        continue;
      }
      Deque<Map.Entry<String, Integer>> stack = new ArrayDeque<>();
      stack.push(Map.entry(start, 0));
      state.put(start, 1);
      while (!stack.isEmpty()) {
        Map.Entry<String, Integer> top = stack.pop();
        List<String> deps = byId.get(top.getKey()).dependsOn();
        if (top.getValue() < deps.size()) {
          stack.push(Map.entry(top.getKey(), top.getValue() + 1));
          String next = deps.get(top.getValue());
          Integer s = state.get(next);
          if (s != null && s == 1) {
            throw invalid("dependsOn forms a cycle through step '" + next + "'");
          }
          if (s == null) {
            state.put(next, 1);
            stack.push(Map.entry(next, 0));
          }
        } else {
          state.put(top.getKey(), 2);
        }
      }
    }
  }

  private static Set<String> ancestors(PipelineStep step, Map<String, PipelineStep> byId) {
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(step.dependsOn());
    while (!todo.isEmpty()) {
      String id = todo.pop();
      if (seen.add(id)) {
        todo.addAll(byId.get(id).dependsOn());
      }
    }
    return seen;
  }

  private static InvalidPipelineException invalid(String message) {
    return new InvalidPipelineException("invalid_request", message);
  }
}
