package dev.gatehouse.registry.usage;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One model call's usage row: who ({@code tenantId}, {@code agentId}), what ({@code model} the
 * alias, {@code provider} and {@code providerModel} that answered, or null when none did; {@code
 * operation} {@code chat} or {@code embeddings}), the tokens (see ModelUsage: input includes the
 * cached part, output includes the reasoning part; {@code estimated} when Gatehouse counted them),
 * the {@code cost} from the registry's prices (null: the model has no prices), {@code latencyMs}
 * and {@code ttftMs} (time to first token; null when not streamed), {@code outcome} ({@code ok} or
 * a failure code), {@code stream}, and the {@code taskId}/{@code stepId} when the call was a
 * durable step.
 */
public record UsageRecord(
    Instant at,
    String tenantId,
    String agentId,
    String model,
    String provider,
    String providerModel,
    String operation,
    long inputTokens,
    long cachedInputTokens,
    long outputTokens,
    long reasoningTokens,
    boolean estimated,
    BigDecimal cost,
    long latencyMs,
    Long ttftMs,
    String outcome,
    boolean stream,
    String taskId,
    String stepId,
    String requestId) {}
