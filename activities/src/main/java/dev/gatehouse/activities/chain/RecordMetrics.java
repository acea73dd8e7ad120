package dev.gatehouse.activities.chain;

/**
 * Counts every governed call's attempt and its latency, by target and outcome ({@code ok} or the
 * failure type), whatever the outcome. A target that named no registry entry is counted as {@link
 * #UNRESOLVED}, not by the name the caller sent.
 */
public final class RecordMetrics implements PolicyStep<Exchange<?, ?>> {

  /** Where one attempt's figures go, such as {@code GatehouseMetrics::toolCall}. */
  @FunctionalInterface
  public interface Recorder {
    void record(String target, String outcome, int attempt, double seconds);
  }

  /**
   * The label of a target that resolved to nothing. No registry name can be it: names have no
   * parentheses.
   */
  public static final String UNRESOLVED = "(unknown)";

  private final Recorder recorder;

  public RecordMetrics(Recorder recorder) {
    this.recorder = recorder;
  }

  @Override
  public void complete(Exchange<?, ?> exchange) {
    GovernedCall call = exchange.request();
    String target = exchange.targetResolved() ? call.target() : UNRESOLVED;
    recorder.record(target, exchange.outcome(), call.attempt(), exchange.elapsedSeconds());
  }
}
