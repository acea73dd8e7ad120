package dev.gatehouse.workflows.limits;

import dev.gatehouse.workflows.tool.ToolFailureTypes;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Functions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import java.time.Duration;

/**
 * How a call that a rate-limit policy refused waits inside a task, instead of failing it. The
 * activity fails at once with {@link #failure}: non-retryable, so Temporal neither retries it nor
 * counts it against the step's {@code maxAttempts}, of type {@link #TYPE}, with the wait the
 * limit asked for in its details. A call the worker refused because its tenant had its whole
 * share of the worker's call slots in use ({@link #overloaded}, type {@link #OVERLOADED}) waits
 * the same way. The workflow then sleeps on a durable timer ({@link #waitFor})
 * and makes the call again as a new activity, with all its attempts. Sleeping in the workflow
 * holds no worker slot and no activity timeout, survives restarts, and is cancelled with the
 * task.
 *
 * <p>Every wait adds a few events to the history, and the call made again records its arguments
 * there again (an agent's model call carries its whole transcript, up to about a megabyte), so a
 * call waits at most {@link #MAX_WAITS} times, and no call of a task waits once the task's history
 * holds {@link #HISTORY_CAP} events or {@link #HISTORY_BYTES_CAP} bytes (many steps that all wait,
 * or one large call that waits fifty times, would otherwise come near Temporal's limits of 51,200
 * events and 50 MB, where the server terminates the workflow); then the refusal fails the step as
 * {@code rate_limited} (or {@code overloaded}), and the task goes on or fails as for any failed
 * step.
 *
 * <p>Each wait is the limit's own wait plus a jitter that doubles with each wait ({@link
 * #waitFor}): a limit tells a refused call when its bucket has the next request, not when the call
 * will get one, and when many calls wait on one limit (a pipeline's parallel steps) all but one of
 * them are refused again. A jitter that stayed near the limit's wait sent the whole herd back every
 * few hundred milliseconds, and a backlog of a minute used up every call's waits in under half of
 * it; a doubling one spreads the herd out until the limit can take it.
 *
 * <p>Only a policy's refusal and the worker's take this path: a provider's 429 stays an ordinary retryable
 * failure under the model's retry policy. Old histories hold no such failure, so they replay as
 * they ran.
 */
public final class RateLimitWaits {
  /** The failure type of a rate limit's refusal; its code is {@code rate_limited}. */
  public static final String TYPE = ToolFailureTypes.RATE_LIMITED;
  /** The failure type of the worker's refusal for the tenant's share of its slots; its code is {@code overloaded}. */
  public static final String OVERLOADED = ToolFailureTypes.OVERLOADED;
  /** The most waits of one call before it fails. */
  public static final int MAX_WAITS = 50;
  /**
   * The history length (events) from which no call of the task waits any more: well below
   * Temporal's 51,200, so the refused steps' failures, the other steps and the task's end still fit.
   */
  public static final long HISTORY_CAP = 40_000;
  /** The change id of the history cap ({@link Workflow#getVersion}): histories from before it replay as they ran. */
  static final String HISTORY_CAP_CHANGE = "rate-limit-waits-history-cap";
  /**
   * The history size (bytes, as the server counts them) from which no call of the task waits any
   * more: well below Temporal's default limit of 50 MB, so the refused steps' failures, what the
   * other steps still record (a pipeline's arguments and outputs are at most a megabyte each) and
   * the task's end still fit.
   */
  public static final long HISTORY_BYTES_CAP = 20L * 1024 * 1024;
  /** The change id of the size cap, apart from the length's: a history may have reached either first. */
  static final String HISTORY_BYTES_CAP_CHANGE = "rate-limit-waits-history-bytes-cap";
  /** The least the first wait's jitter may reach, whatever the limit asked (it may ask for a millisecond). */
  static final Duration MIN_JITTER_BASE = Duration.ofMillis(250);
  /** How far the jitter grows: to this, or to {@link #MAX_JITTER} times the limit's wait if that is more. */
  static final Duration MAX_JITTER_SPAN = Duration.ofSeconds(30);
  /** The jitter of a long wait grows to at most this many times the limit's wait. */
  static final int MAX_JITTER = 3;

  private RateLimitWaits() {}

  /** The activity's failure for a refusal that asked to wait {@code retryAfter}. */
  public static ApplicationFailure failure(String message, Duration retryAfter) {
    return ApplicationFailure.newNonRetryableFailure(message, TYPE, Math.max(1, retryAfter.toMillis()));
  }

  /** The activity's failure when the worker refused the call for its tenant's share of the slots. */
  public static ApplicationFailure overloaded(String message, Duration retryAfter) {
    return ApplicationFailure.newNonRetryableFailure(message, OVERLOADED, Math.max(1, retryAfter.toMillis()));
  }

  /** The wait a call's failure asks for when it is a rate limit's (or the worker's share's) refusal; else null. */
  public static Duration waitOf(Throwable failure) {
    Throwable cause = failure instanceof ActivityFailure a ? a.getCause() : failure;
    if (cause instanceof ApplicationFailure af
        && (TYPE.equals(af.getType()) || OVERLOADED.equals(af.getType()))
        && af.isNonRetryable()) {
      try {
        Long millis = af.getDetails().get(Long.class);
        return millis == null ? null : Duration.ofMillis(Math.max(1, millis));
      } catch (RuntimeException e) {
        return null;
      }
    }
    return null;
  }

  /**
   * The call, made again after each rate-limit refusal until it is admitted (at most {@link
   * #MAX_WAITS} waits). Workflow code only; the wait is a durable timer, cancelled with the
   * calling scope.
   */
  public static <R> R call(Functions.Func<R> call) {
    return call(call, HISTORY_CAP, HISTORY_BYTES_CAP);
  }

  /** {@link #call(Functions.Func)} with other history caps, of events and of bytes (tests). */
  static <R> R call(Functions.Func<R> call, long historyCap, long bytesCap) {
    for (int waits = 0; ; waits++) {
      try {
        return call.apply();
      } catch (ActivityFailure failure) {
        Duration wait = waitOf(failure);
        if (wait == null || !mayWait(waits, historyCap, bytesCap)) {
          throw failure;
        }
        Workflow.sleep(waitFor(wait, waits + 1));
      }
    }
  }

  /**
   * Whether a call refused after {@code waitsSoFar} waits may wait once more: fewer than {@link
   * #MAX_WAITS} waits, and the task's history below {@link #HISTORY_CAP} events and {@link
   * #HISTORY_BYTES_CAP} bytes. Workflow code only.
   */
  public static boolean mayWait(int waitsSoFar) {
    return mayWait(waitsSoFar, HISTORY_CAP, HISTORY_BYTES_CAP);
  }

  private static boolean mayWait(int waitsSoFar, long historyCap, long bytesCap) {
    return waitsSoFar < MAX_WAITS && !historyFull(historyCap, bytesCap);
  }

  /**
   * Whether the task's history has reached {@code cap} events or {@code bytesCap} bytes. Length
   * and size are those the current workflow task started with, the same on replay. A history
   * recorded before a cap existed waited past it: {@link Workflow#getVersion} (asked only once
   * that cap is reached, so other histories carry no marker) makes such a history replay as it ran.
   */
  private static boolean historyFull(long cap, long bytesCap) {
    WorkflowInfo info = Workflow.getInfo();
    return info.getHistoryLength() >= cap && Workflow.getVersion(HISTORY_CAP_CHANGE, Workflow.DEFAULT_VERSION, 1) >= 1
        || info.getHistorySize() >= bytesCap && Workflow.getVersion(HISTORY_BYTES_CAP_CHANGE, Workflow.DEFAULT_VERSION, 1) >= 1;
  }

  /**
   * The n-th wait (from 1) for a limit that asked for {@code asked}: the ask plus a jitter drawn
   * uniformly from zero to {@link #jitterSpan}, from the workflow's replay-safe random source.
   */
  public static Duration waitFor(Duration asked, int n) {
    // A uniform fraction: the low 53 bits of a random UUID (its variant bits are the high ones).
    double fraction = (Workflow.randomUUID().getLeastSignificantBits() & ((1L << 53) - 1)) * 0x1.0p-53;
    return waitFor(asked, n, fraction);
  }

  /** {@link #waitFor(Duration, int)} with the random fraction given (tests, simulations). */
  static Duration waitFor(Duration asked, int n, double fraction) {
    return asked.plusMillis((long) (jitterSpan(asked, n) * fraction));
  }

  /**
   * How far the n-th wait's jitter reaches, in milliseconds: {@code 2^n - 1} times the limit's wait
   * (at least {@link #MIN_JITTER_BASE}), growing no further than {@link #MAX_JITTER_SPAN} or {@link
   * #MAX_JITTER} times the limit's wait, whichever is more. A call refused once comes back within
   * twice the ask (or a quarter second past it), as a lone caller would want; a call refused seven
   * times by a limit that asks for a few hundred milliseconds comes back anywhere in the next half
   * minute. So a herd of calls on one limit spreads out until the limit takes them: in a
   * simulation ({@code RateLimitWaitsTest}), 199 calls on a limit of 200 a minute that another
   * caller had just emptied were all admitted within 69-76 s, none waiting more than 12 times (with
   * a jitter of at most three times the ask, 115-117 of them spent their 50 waits within 25 s and
   * failed), and 500 calls on a limit of 100 a minute within 305-316 s, waiting at most 29 times.
   */
  static double jitterSpan(Duration asked, int n) {
    double ask = Math.max(1, asked.toMillis());
    double base = Math.max(ask, MIN_JITTER_BASE.toMillis());
    double cap = Math.max(MAX_JITTER_SPAN.toMillis(), ask * MAX_JITTER);
    return Math.min(base * (Math.pow(2, Math.max(1, Math.min(n, 62))) - 1), cap);
  }
}
