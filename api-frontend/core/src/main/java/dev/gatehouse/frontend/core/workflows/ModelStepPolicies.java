package dev.gatehouse.frontend.core.workflows;

import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.tools.RetrySpec;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code Model.Call} policy a pipeline's model step runs with, from the registry at submit
 * time. One attempt of the activity is one call of the invoker, which may try every target of the
 * model and of its fallbacks once each (in a durable step the invoker does not retry a target: the
 * engine retries the activity, with the model's retry policy), so its timeout is the sum of those
 * requests' provider timeouts (at least {@link #MIN_TIMEOUT}, at most {@link #MAX_TIMEOUT}: past
 * that a worker that died mid-call is noticed too late).
 */
final class ModelStepPolicies {
  static final Duration MIN_TIMEOUT = Duration.ofSeconds(10);
  static final Duration MAX_TIMEOUT = Duration.ofHours(1);
  /** The most aliases followed through fallbacks (the registry refuses loops; this bounds the walk anyway). */
  static final int MAX_CHAIN = 16;

  private ModelStepPolicies() {}

  /**
   * The policy of {@code model}; {@code models} and {@code providers} find the definitions the
   * caller's tenant can see (a fallback or provider that is gone counts with the defaults).
   */
  static ModelCallPolicy of(
      ModelDefinition model,
      Function<String, Optional<ModelDefinition>> models,
      Function<String, Optional<ProviderDefinition>> providers) {
    Duration budget = Duration.ZERO;
    for (ModelDefinition alias : chain(model, models)) {
      for (ModelDefinition.Target target : alias.targets()) {
        Duration timeout =
            providers.apply(target.provider()).map(ProviderDefinition::timeoutOrDefault).orElse(ProviderDefinition.DEFAULT_TIMEOUT);
        budget = budget.plus(timeout);
        if (budget.compareTo(MAX_TIMEOUT) >= 0) {
          break;
        }
      }
    }
    budget = budget.compareTo(MIN_TIMEOUT) < 0 ? MIN_TIMEOUT : budget.compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT : budget;
    RetrySpec retry = retryOf(model);
    return new ModelCallPolicy(
        budget.toMillis(),
        retry.maxAttempts(),
        retry.initialInterval().toMillis(),
        retry.backoff(),
        retry.maxInterval().toMillis());
  }

  /** {@code model} and the aliases it falls back to (directly or through another), each once. */
  private static Set<ModelDefinition> chain(ModelDefinition model, Function<String, Optional<ModelDefinition>> models) {
    Set<String> seen = new LinkedHashSet<>();
    Set<ModelDefinition> out = new LinkedHashSet<>();
    Deque<ModelDefinition> todo = new ArrayDeque<>();
    todo.add(model);
    while (!todo.isEmpty() && out.size() < MAX_CHAIN) {
      ModelDefinition m = todo.poll();
      if (seen.add(m.name())) {
        out.add(m);
        for (String fallback : m.fallbacks()) {
          if (!seen.contains(fallback)) {
            models.apply(fallback).ifPresent(todo::add);
          }
        }
      }
    }
    return out;
  }

  private static RetrySpec retryOf(ModelDefinition model) {
    RetrySpec r = model.retry();
    if (r == null) {
      return RetrySpec.DEFAULT;
    }
    return new RetrySpec(
        Math.max(1, r.maxAttempts()),
        r.initialInterval() == null ? RetrySpec.DEFAULT.initialInterval() : r.initialInterval(),
        r.backoff() < 1.0 ? RetrySpec.DEFAULT.backoff() : r.backoff(),
        r.maxInterval() == null ? RetrySpec.DEFAULT.maxInterval() : r.maxInterval());
  }
}
