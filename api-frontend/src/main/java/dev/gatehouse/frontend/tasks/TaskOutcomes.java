package dev.gatehouse.frontend.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.registry.tasks.TaskStatus;
import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TerminatedFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowExecutionDescription;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Reads how a workflow ended (or that it has not) into task terms. */
final class TaskOutcomes {
  /** Reading a closed workflow's result is immediate; this only bounds a sick connection. */
  private static final long CLOSED_READ_MILLIS = 10_000;

  /** Status, result and error of a workflow as the task API shows them. */
  record Outcome(TaskStatus status, JsonNode result, TaskView.TaskError error, Instant closedAt, boolean closedWhileWaiting) {
    Outcome(TaskStatus status, JsonNode result, TaskView.TaskError error) {
      this(status, result, error, null, false);
    }

    Outcome closedAt(Instant t, boolean whileWaiting) {
      return new Outcome(status, result, error, t, whileWaiting);
    }

    /**
     * True when the workflow closed while this read waited and ended in a way its own code
     * records in the task index (completed, failed, canceled), so the index needs no repair.
     */
    boolean recordedByWorkflow() {
      return closedWhileWaiting
          && status != TaskStatus.TIMED_OUT
          && !(error != null && "terminated".equals(error.code()));
    }
  }

  private TaskOutcomes() {}

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

  static Outcome failed(Throwable cause) {
    if (cause instanceof CanceledFailure) {
      return new Outcome(TaskStatus.CANCELED, null, new TaskView.TaskError("canceled", "the task was canceled", null));
    }
    if (cause instanceof TimeoutFailure) {
      return new Outcome(
          TaskStatus.TIMED_OUT, null, new TaskView.TaskError("timed_out", "the task ran past its timeout", null));
    }
    if (cause instanceof TerminatedFailure t) {
      return new Outcome(
          TaskStatus.FAILED, null, new TaskView.TaskError("terminated", "the task was terminated: " + t.getOriginalMessage(), null));
    }
    if (cause instanceof ApplicationFailure af) {
      String step = null;
      if (af.getDetails() != null && af.getDetails().getSize() > 0) {
        try {
          step = af.getDetails().get(0, String.class);
        } catch (RuntimeException ignored) {
          // details of another shape: no step to name
        }
      }
      String code = af.getType() == null ? "workflow_failed" : TaskIndexInterceptor.snake(af.getType());
      return new Outcome(TaskStatus.FAILED, null, new TaskView.TaskError(code, af.getOriginalMessage(), step));
    }
    String message = cause == null ? "the task failed" : cause.getMessage();
    return new Outcome(TaskStatus.FAILED, null, new TaskView.TaskError("workflow_failed", message, null));
  }
}
