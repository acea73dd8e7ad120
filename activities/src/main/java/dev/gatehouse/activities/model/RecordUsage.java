package dev.gatehouse.activities.model;

import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.activities.chain.PolicyStep;
import dev.gatehouse.activities.chain.RecordMetrics;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.usage.ModelCosts;
import dev.gatehouse.activities.usage.UsageLog;
import dev.gatehouse.registry.usage.UsageRecord;
import dev.gatehouse.workflows.tool.Caller;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * Prices the answer (the registry's prices of the alias that was asked for) and writes one usage
 * row and the model metrics (calls, latency, time to first token, tokens, cost) per call, whatever its outcome: denied and failed calls too (no tokens), and a stream whose
 * client left (the tokens relayed, marked estimated, outcome {@code client_closed}). The metrics
 * name an alias that is not in the registry {@link RecordMetrics#UNRESOLVED} (the usage row keeps
 * what the caller asked for).
 */
final class RecordUsage implements PolicyStep<ModelExchange> {
  private final UsageLog usage;
  private final GatehouseMetrics metrics;

  RecordUsage(UsageLog usage, GatehouseMetrics metrics) {
    this.usage = usage;
    this.metrics = metrics;
  }

  @Override
  public void after(ModelExchange x) {
    ModelAnswer a = x.response();
    if (a != null && x.model() != null && a.usage() != null) {
      BigDecimal cost = ModelCosts.cost(x.model().prices(), a.usage());
      x.replaceResponse(new ModelAnswer(a.body(), a.usage(), cost, a.provider(), a.providerModel(), a.timeToFirstTokenMs(), a.policies()));
    }
  }

  @Override
  public void complete(ModelExchange x) {
    UsageRecord row = row(x);
    usage.record(row);
    metrics.modelCall(
        x.targetResolved() ? row.model() : RecordMetrics.UNRESOLVED,
        row.provider(),
        row.agentId(),
        row.outcome(),
        x.elapsedSeconds(),
        row.ttftMs() == null ? null : row.ttftMs() / 1000.0,
        x.usage(),
        row.cost());
  }

  static UsageRecord row(ModelExchange x) {
    ModelCall call = x.request();
    Caller caller = call.caller();
    ModelUsage u = x.usage() == null ? ModelUsage.NONE : x.usage();
    ModelAnswer a = x.response();
    BigDecimal cost = a != null && a.cost() != null ? a.cost() : x.model() == null ? null : ModelCosts.cost(x.model().prices(), u);
    return new UsageRecord(
        Instant.now(),
        caller == null ? null : caller.tenantId(),
        caller == null ? null : caller.agentId(),
        call.alias(),
        x.provider(),
        x.providerModel(),
        call.kind() == ModelCall.Kind.EMBEDDINGS ? "embeddings" : "chat",
        u.inputTokens(),
        u.cachedInputTokens(),
        u.outputTokens(),
        u.reasoningTokens(),
        u.estimated(),
        cost,
        Math.round(x.elapsedSeconds() * 1000),
        x.timeToFirstTokenMs(),
        x.recordedOutcome(),
        call.stream(),
        call.taskId(),
        call.stepId(),
        call.requestId());
  }
}
