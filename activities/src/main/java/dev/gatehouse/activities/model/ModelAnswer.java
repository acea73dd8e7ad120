package dev.gatehouse.activities.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;

/**
 * How a model call ended: {@code body} the answer in the caller's dialect (null for a stream,
 * whose events went to its {@link StreamSink}); the usage and its cost (null when the model has
 * no prices); which provider and provider model answered; the time to the first token in
 * milliseconds (null when not streamed).
 */
public record ModelAnswer(
    ObjectNode body, ModelUsage usage, BigDecimal cost, String provider, String providerModel, Long timeToFirstTokenMs) {}
