package dev.gatehouse.activities.chain;

/**
 * Counts every governed call's attempt and its latency, by target and outcome ({@code ok} or the
 * failure type), whatever the outcome.
 */
public final class RecordMetrics implements PolicyStep<Exchange<?, ?>> {

  /** Where one attempt's figures go, such as {@code GatehouseMetrics::toolCall}. */
  @FunctionalInterface
  public interface Recorder {
    void record(String target, String outcome, int attempt, double seconds);
  }

  private final Recorder recorder;

  public RecordMetrics(Recorder recorder) {
    this.recorder = recorder;
  }

  @Override
  public void complete(Exchange<?, ?> exchange) {
    GovernedCall call = exchange.request();
    recorder.record(call.target(), exchange.outcome(), call.attempt(), exchange.elapsedSeconds());
  }
}
