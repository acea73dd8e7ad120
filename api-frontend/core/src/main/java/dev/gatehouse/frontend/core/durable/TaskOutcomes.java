package dev.gatehouse.frontend.core.durable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.registry.tasks.TaskStatus;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.workflows.task.FailureCodes;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TerminatedFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowExecutionDescription;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Reads how a workflow ended (or that it has not) into task terms. */
public final class TaskOutcomes {
  /** Reading a closed workflow's result is immediate; this only bounds a sick connection. */
  private static final long CLOSED_READ_MILLIS = 10_000;

  /** Status, result and error of a workflow as the task API shows them. */
  public record Outcome(TaskStatus status, JsonNode result, TaskError error, Instant closedAt, boolean closedWhileWaiting) {
    Outcome(TaskStatus status, JsonNode result, TaskError error) {
      this(status, result, error, null, false);
    }

    /**
     * This outcome, closed at {@code t} to the microsecond: as the task index keeps a time, so a
     * task's view and its row in the list say the same time (the view said nanoseconds).
     */
    Outcome closedAt(Instant t, boolean whileWaiting) {
      return new Outcome(status, result, error, t == null ? null : t.truncatedTo(java.time.temporal.ChronoUnit.MICROS), whileWaiting);
    }

    /**
     * True when the workflow closed while this read waited and ended in a way its own code
     * records in the task index (completed, failed, canceled), so the index needs no repair.
     */
    public boolean recordedByWorkflow() {
      return closedWhileWaiting
          && status != TaskStatus.TIMED_OUT
          && !(error != null && "terminated".equals(error.code()));
    }
  }

  /**
   * How the reason of a termination begins when Gatehouse ended a task whose workflow did not
   * process its cancel request ({@code DurableCalls#endCanceled}): such a task reads CANCELED.
   */
  public static final String CANCEL_NOT_PROCESSED = "canceled: the workflow did not end";

  /**
   * How the reason of a termination begins when Gatehouse ended a task still running past its
   * timeout ({@code DurableCalls#reconcile}): such a task reads TIMED_OUT.
   */
  public static final String PAST_DEADLINE = "timed out: the workflow ran past the task's timeout";

  private TaskOutcomes() {}

  /** The result a completed task's archived history ends with (its last run's completion); empty when it has none. */
  static Optional<JsonNode> archivedResult(List<HistoryArchive.Run> runs, io.temporal.common.converter.DataConverter converter) {
    return archivedResult(runs, converter, JsonNode.class);
  }

  /** The result of the last run of {@code runs}, as a {@code type}; empty when it did not complete or cannot be read as one. */
  static <T> Optional<T> archivedResult(List<HistoryArchive.Run> runs, io.temporal.common.converter.DataConverter converter, Class<T> type) {
    if (runs.isEmpty()) {
      return Optional.empty();
    }
    List<io.temporal.api.history.v1.HistoryEvent> events = runs.get(runs.size() - 1).events();
    for (int i = events.size() - 1; i >= 0; i--) {
      var e = events.get(i);
      if (e.hasWorkflowExecutionCompletedEventAttributes()) {
        var payloads = e.getWorkflowExecutionCompletedEventAttributes().getResult();
        try {
          return Optional.ofNullable(converter.fromPayloads(0, Optional.of(payloads), type, type));
        } catch (RuntimeException unreadable) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The workflow's state now, or after up to {@code waitMillis} if it is still running. Throws
   * {@code WorkflowNotFoundException} when Temporal no longer knows the workflow.
   */
  static Outcome read(WorkflowStub stub, long waitMillis) {
    WorkflowExecutionDescription d = stub.describe();
    if (d.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      if (waitMillis <= 0) {
        return new Outcome(TaskStatus.RUNNING, null, null);
      }
      Outcome o = await(stub, waitMillis);
      return o.status().isClosed() ? o.closedAt(Instant.now(), true) : o;
    }
    var closeTime = d.getRawDescription().getWorkflowExecutionInfo().getCloseTime();
    return await(stub, CLOSED_READ_MILLIS)
        .closedAt(Instant.ofEpochSecond(closeTime.getSeconds(), closeTime.getNanos()), false);
  }

  private static Outcome await(WorkflowStub stub, long waitMillis) {
    try {
      JsonNode result = stub.getResult(Math.max(waitMillis, 1), TimeUnit.MILLISECONDS, JsonNode.class);
      return new Outcome(TaskStatus.COMPLETED, result, null);
    } catch (TimeoutException stillRunning) {
      return new Outcome(TaskStatus.RUNNING, null, null);
    } catch (WorkflowFailedException e) {
      return failed(e.getCause());
    }
  }

  /**
   * How a workflow that failed ended, in task terms. A failure the workflow let through from an
   * activity is named by its cause (a tool-call task whose upstream refused ends as {@code
   * upstream_client_error}); a pipeline's {@code step_failed} names the step and the step's own
   * failure.
   */
  static Outcome failed(Throwable cause) {
    if (cause instanceof CanceledFailure) {
      return new Outcome(TaskStatus.CANCELED, null, error(ErrorCode.CANCELED, "the task was canceled", null, null));
    }
    if (cause instanceof TimeoutFailure) {
      return new Outcome(TaskStatus.TIMED_OUT, null, error(ErrorCode.TIMED_OUT, "the task ran past its timeout", null, null));
    }
    if (cause instanceof TerminatedFailure t) {
      Outcome own = ownTermination(t.getOriginalMessage());
      if (own != null) {
        return own;
      }
      return new Outcome(TaskStatus.FAILED, null, error(ErrorCode.TERMINATED, terminatedBecause(t.getOriginalMessage()), null, null));
    }
    if (cause instanceof TemporalFailure failure) {
      TemporalFailure root = FailureCodes.root(failure);
      if (root instanceof ApplicationFailure af) {
        String step = detail(af, 0);
        String stepFailure = detail(af, 1);
        return new Outcome(
            TaskStatus.FAILED,
            null,
            new TaskError(
                af.getType() == null ? FailureCodes.WORKFLOW_FAILED : ErrorCode.codeOfFailureType(af.getType()),
                af.getOriginalMessage(),
                step,
                stepFailure == null ? null : ErrorCode.codeOfFailureType(stepFailure)));
      }
      if (root instanceof TimeoutFailure) {
        return new Outcome(TaskStatus.FAILED, null, error(ErrorCode.TIMED_OUT, root.getOriginalMessage(), null, null));
      }
    }
    String message = cause == null ? "the task failed" : cause.getMessage();
    return new Outcome(TaskStatus.FAILED, null, error(ErrorCode.WORKFLOW_FAILED, message, null, null));
  }

  /**
   * How a task ended that Gatehouse itself terminated, by the termination's {@code reason}: one
   * that did not process its cancel ({@link #CANCEL_NOT_PROCESSED}) CANCELED, one past its
   * timeout ({@link #PAST_DEADLINE}) TIMED_OUT; null for any other termination.
   */
  static Outcome ownTermination(String reason) {
    if (reason != null && reason.startsWith(CANCEL_NOT_PROCESSED)) {
      return new Outcome(TaskStatus.CANCELED, null, error(ErrorCode.CANCELED, "the task was canceled", null, null));
    }
    if (reason != null && reason.startsWith(PAST_DEADLINE)) {
      return new Outcome(TaskStatus.TIMED_OUT, null, error(ErrorCode.TIMED_OUT, "the task ran past its timeout", null, null));
    }
    return null;
  }

  /** The engine's own reason for ending a workflow whose workflow task it could not take. */
  static final String TOO_LARGE = "GrpcMessageTooLarge";

  /**
   * Why a task was terminated, for its error: the engine's reason as it gave it, said in words when
   * it is the engine's own ({@link #TOO_LARGE}: a team's workflow returned, or passed a call, more
   * than the engine takes in one message).
   */
  static String terminatedBecause(String reason) {
    if (reason != null && reason.contains(TOO_LARGE)) {
      return "the workflow engine terminated the task: its workflow wrote a result, or arguments of a call, larger than the"
          + " engine takes in one message (" + TOO_LARGE + ")";
    }
    return "the task was terminated: " + reason;
  }

  private static TaskError error(ErrorCode code, String message, String step, String cause) {
    return new TaskError(code.code(), message, step, cause);
  }

  /** The {@code i}th detail of a failure when it is a string (a pipeline's step id, then its failure type). */
  private static String detail(ApplicationFailure af, int i) {
    if (af.getDetails() == null || af.getDetails().getSize() <= i) {
      return null;
    }
    try {
      return af.getDetails().get(i, String.class);
    } catch (RuntimeException ignored) {
      return null; // details of another shape: nothing to name
    }
  }
}
