package dev.gatehouse.workflows.task;

import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TimeoutFailure;

/**
 * The stable error code of a failure, as the task index, traces and audit rows record it: an
 * {@code ApplicationFailure}'s type in snake case ({@code UpstreamClientError} → {@code
 * upstream_client_error}). The front end's error catalog lists the same code for every type it
 * knows; this rule also names the types of workflows teams write themselves.
 */
public final class FailureCodes {
  /** The code of a failure that carries no type of its own. */
  public static final String WORKFLOW_FAILED = "workflow_failed";
  /** The code of a task (or step) the caller canceled. */
  public static final String CANCELED = "canceled";
  /** The code of a step (or task) that ran past its timeout. */
  public static final String TIMED_OUT = "timed_out";

  private FailureCodes() {}

  /** The code of a failure Gatehouse did not type: an exception or error raised inside it. */
  public static final String INTERNAL_ERROR = "internal_error";

  /**
   * {@code StepFailed} → {@code step_failed}. A Java class name ({@code java.lang.StackOverflowError}:
   * the engine types a failure no code of ours typed by the class of what was thrown) is {@link
   * #INTERNAL_ERROR}: codes never name Java types.
   */
  public static String of(String type) {
    if (type.indexOf('.') >= 0) {
      return INTERNAL_ERROR;
    }
    StringBuilder sb = new StringBuilder(type.length() + 4);
    for (int i = 0; i < type.length(); i++) {
      char c = type.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0) {
          sb.append('_');
        }
        sb.append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * The failure a workflow ended with, as its code names it: an activity's or child workflow's
   * failure that the workflow let through is the failure of its cause (a tool-call task whose
   * upstream refused is {@code upstream_client_error}, not a generic activity failure).
   */
  public static TemporalFailure root(TemporalFailure e) {
    TemporalFailure f = e;
    while ((f instanceof ActivityFailure || f instanceof ChildWorkflowFailure) && f.getCause() instanceof TemporalFailure cause) {
      f = cause;
    }
    return f;
  }

  /** The code of the failure a workflow ended with (see {@link #root}). */
  public static String of(TemporalFailure e) {
    TemporalFailure root = root(e);
    if (root instanceof ApplicationFailure af && af.getType() != null && !af.getType().isBlank()) {
      return of(af.getType());
    }
    if (root instanceof CanceledFailure) {
      return CANCELED;
    }
    return root instanceof TimeoutFailure ? TIMED_OUT : WORKFLOW_FAILED;
  }

  /**
   * The type a step's failure names for {@code cause}, what its activity failed with: an {@code
   * ApplicationFailure}'s type; a timeout's {@code TimedOut} (its code {@code timed_out}, as
   * errors.md lists it; it was {@code timeout_failure}, the class's name).
   */
  public static String typeOf(Throwable cause) {
    if (cause instanceof ApplicationFailure af) {
      return af.getType();
    }
    return cause instanceof TimeoutFailure ? "TimedOut" : cause.getClass().getSimpleName();
  }

  /** The message a step's failure gives for {@code cause}: a timeout's in words, not Temporal's {@code timeoutType=...}. */
  public static String messageOf(Throwable cause) {
    if (cause instanceof ApplicationFailure af) {
      return af.getOriginalMessage();
    }
    if (cause instanceof TimeoutFailure t) {
      return switch (t.getTimeoutType()) {
        case TIMEOUT_TYPE_HEARTBEAT -> "it stopped reporting that it was alive (heartbeat timeout)";
        case TIMEOUT_TYPE_SCHEDULE_TO_START -> "no worker took it up in time";
        default -> "it did not finish within its timeout";
      };
    }
    return cause.getMessage();
  }

  /** The message of the failure a workflow ended with, without Temporal's decorations. */
  public static String messageOf(TemporalFailure e) {
    TemporalFailure root = root(e);
    return root instanceof ApplicationFailure af ? af.getOriginalMessage() : root.getOriginalMessage();
  }
}
