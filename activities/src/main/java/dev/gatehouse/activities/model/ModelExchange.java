package dev.gatehouse.activities.model;

import dev.gatehouse.activities.chain.Exchange;
import dev.gatehouse.activities.policy.ApplyRateLimits;
import dev.gatehouse.activities.policy.RateLimitStatus;
import dev.gatehouse.activities.usage.TokenEstimator;
import dev.gatehouse.registry.models.ModelDefinition;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One model call on its way through the model chain: the call, the model its alias resolved to,
 * the sink of a streamed call, and what the routed call produced so far (which provider answered,
 * the usage, the time to first token), kept even when the call failed or the client left, so the
 * usage row and the metrics say what was spent.
 */
public final class ModelExchange extends Exchange<ModelCall, ModelAnswer> {
  /** The outcome of a stream whose client went away before it ended. */
  public static final String CLIENT_CLOSED = "client_closed";

  private StreamSink sink;
  private final Consumer<RateLimitStatus> rateLimitListener;
  private ApplyRateLimits.Reservation tokenReservation;
  private ModelDefinition model;
  private String provider;
  private String providerModel;
  private ModelUsage usage;
  private Long timeToFirstTokenMs;
  private boolean clientClosed;
  private String streamFailure;
  /** The body {@link #estimatedInput} was counted for. */
  private com.fasterxml.jackson.databind.node.ObjectNode estimatedBody;
  private long estimatedInput;

  public ModelExchange(ModelCall call, StreamSink sink) {
    this(call, sink, null);
  }

  /**
   * {@code rateLimitListener} (may be null) hears what the governing rate limits said of an
   * admitted call, before the call is made: a face sets its rate-limit headers from it.
   */
  public ModelExchange(ModelCall call, StreamSink sink, Consumer<RateLimitStatus> rateLimitListener) {
    super(call);
    this.sink = sink;
    this.rateLimitListener = rateLimitListener;
  }

  @Override
  public void rateLimited(RateLimitStatus status) {
    super.rateLimited(status);
    if (rateLimitListener != null && status != null && !status.refused()) {
      rateLimitListener.accept(status);
    }
  }

  /**
   * The request's input tokens as Gatehouse counts them ({@link TokenEstimator#inputTokens}), which
   * the task budget, the budgets and the rate limits each reserve by: counted once per body (a
   * request policy that redacts the body makes a new one), not once per step.
   */
  public long estimatedInputTokens() {
    ModelCall call = request();
    if (estimatedBody != call.body()) {
      estimatedInput = TokenEstimator.inputTokens(call.dialect(), call.body());
      estimatedBody = call.body();
    }
    return estimatedInput;
  }

  /** The tokens-per-minute reservation the rate-limit step made for this call, settled when it completes; else null. */
  public ApplyRateLimits.Reservation tokenReservation() {
    return tokenReservation;
  }

  public void tokenReservation(ApplyRateLimits.Reservation reservation) {
    this.tokenReservation = reservation;
  }

  /** Where a streamed call's events go; null for a call that is not streamed. */
  public StreamSink sink() {
    return sink;
  }

  /**
   * For a step before the call that watches or rewrites a stream's events (a PII policy redacting
   * the answer's text): the router writes to {@code sink}, which writes on to the one it wraps.
   * Only for a streamed call.
   */
  public void replaceSink(StreamSink sink) {
    if (this.sink == null) {
      throw new IllegalStateException("the call is not streamed");
    }
    this.sink = Objects.requireNonNull(sink, "sink");
  }

  /** The model the alias named, once resolved; else null. */
  public ModelDefinition model() {
    return model;
  }

  /** True once the alias resolved to a model of the registry: an unknown alias is not a metric's label. */
  @Override
  public boolean targetResolved() {
    return model != null;
  }

  void model(ModelDefinition model) {
    this.model = model;
  }

  /** The targets tried before the one that answered, each with how it failed; null when the first answered. */
  private String passed;

  /** Notes the targets tried and failed before the one that answers now ({@code provider/model (kind)}, in order). */
  void passed(java.util.List<String> targets) {
    this.passed = targets.isEmpty() ? null : String.join(", ", targets);
  }

  /** A call another target answered: {@code answered by P/M after P1/M1 (server_error 503), ...}. */
  @Override
  public String auditNote() {
    return passed == null || provider == null ? null : "answered by " + provider + "/" + providerModel + " after " + passed;
  }

  /** The provider that answered (or was last tried), or null when none was tried. */
  public String provider() {
    return provider;
  }

  public String providerModel() {
    return providerModel;
  }

  void target(String provider, String providerModel) {
    this.provider = provider;
    this.providerModel = providerModel;
  }

  /** The usage spent, reported or estimated; null when nothing reached a provider's answer. */
  public ModelUsage usage() {
    return usage;
  }

  void usage(ModelUsage usage) {
    this.usage = usage;
  }

  public Long timeToFirstTokenMs() {
    return timeToFirstTokenMs;
  }

  void timeToFirstToken(long ms) {
    this.timeToFirstTokenMs = ms;
  }

  /** Whether the client of a stream went away before it ended. */
  /** How a stream that had begun really ended (its client left, or it broke), else the chain's outcome. */
  @Override
  public String recordedOutcome() {
    if (clientClosed) {
      return CLIENT_CLOSED;
    }
    if (streamFailure != null) {
      return streamFailure;
    }
    return outcome();
  }

  public boolean clientClosed() {
    return clientClosed;
  }

  void clientClosed(boolean closed) {
    this.clientClosed = closed;
  }

  /** The code a stream that had begun ended with when it failed midway (the call itself returned); else null. */
  public String streamFailure() {
    return streamFailure;
  }

  void streamFailure(String code) {
    this.streamFailure = code;
  }
}
