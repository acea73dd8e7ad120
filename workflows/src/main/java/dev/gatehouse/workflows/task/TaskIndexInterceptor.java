package dev.gatehouse.workflows.task;

import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptorBase;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.Set;

/**
 * Records in the task index how every workflow ended, whatever its type, so no workflow
 * implementation has to remember to. The record is a local activity (a marker in the history, so
 * replay stays deterministic); if the index cannot be written after a few tries the workflow still
 * closes, and the API repairs the row when it next reads the task from Temporal.
 */
public class TaskIndexInterceptor extends WorkerInterceptorBase {

  private static final LocalActivityOptions OPTIONS =
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(5))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setMaximumAttempts(4)
                  .setInitialInterval(Duration.ofMillis(200))
                  .build())
          .build();

  private final Set<String> failOnAnyException;

  /** The interceptor of the built-in workflows, which fail only with a Temporal failure. */
  public TaskIndexInterceptor() {
    this(Set.of());
  }

  /**
   * @param failOnAnyException workflow types (teams' workflows, written against the SPI) that an
   *     exception other than a Temporal failure ends FAILED, with the exception's class as its
   *     code ({@code IllegalStateException} → {@code illegal_state_exception}), instead of failing
   *     the workflow task and being retried until its timeout: a bug in a team's workflow shows as
   *     a failed task that says what went wrong. Temporal's own exceptions (a non-deterministic
   *     replay among them) still fail only the workflow task, so a fixed deploy can resume it.
   */
  public TaskIndexInterceptor(Set<String> failOnAnyException) {
    this.failOnAnyException = Set.copyOf(failOnAnyException);
  }

  @Override
  public WorkflowInboundCallsInterceptor interceptWorkflow(WorkflowInboundCallsInterceptor next) {
    return new WorkflowInboundCallsInterceptorBase(next) {
      @Override
      public WorkflowOutput execute(WorkflowInput input) {
        try {
          WorkflowOutput out;
          try {
            out = super.execute(input);
          } catch (RuntimeException e) {
            if (e instanceof TemporalFailure
                || e.getClass().getName().startsWith("io.temporal.")
                || !failOnAnyException.contains(Workflow.getInfo().getWorkflowType())) {
              throw e;
            }
            String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
            throw ApplicationFailure.newNonRetryableFailureWithCause(message, e.getClass().getSimpleName(), e);
          }
          record("COMPLETED", null, null);
          return out;
        } catch (TemporalFailure e) {
          // Only TemporalFailures fail a workflow; any other exception fails the workflow task,
          // which Temporal retries, so the workflow has not ended. A canceled task may end with
          // the cancellation itself or, when it was waiting on an activity (a tool-call task),
          // with that activity's failure caused by it: both end the workflow CANCELED.
          if (FailureCodes.root(e) instanceof CanceledFailure && CancellationScope.current().isCancelRequested()) {
            Workflow.newDetachedCancellationScope(
                    () -> record("CANCELED", FailureCodes.CANCELED, "the task was canceled"))
                .run();
          } else {
            record("FAILED", FailureCodes.of(e), FailureCodes.messageOf(e));
          }
          throw e;
        }
      }
    };
  }

  private static void record(String status, String code, String message) {
    TaskIndexActivities index = Workflow.newLocalActivityStub(TaskIndexActivities.class, OPTIONS);
    try {
      index.recordClosed(
          new TaskClosed(
              Workflow.getInfo().getWorkflowId(),
              Workflow.getInfo().getWorkflowType(),
              status,
              code,
              message));
    } catch (ActivityFailure e) {
      Workflow.getLogger(TaskIndexInterceptor.class)
          .warn("could not record the end of the task in the index; it is repaired on read", e);
    }
  }
}
