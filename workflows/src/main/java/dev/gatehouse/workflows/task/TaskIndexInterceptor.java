package dev.gatehouse.workflows.task;

import io.temporal.activity.LocalActivityOptions;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.common.RetryOptions;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptorBase;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Records in the task index how every workflow ended, whatever its type, so no workflow
 * implementation has to remember to. The record is a local activity (a marker in the history, so
 * replay stays deterministic); if the index cannot be written after a few tries the workflow still
 * closes, and the API repairs the row when it next reads the task from Temporal.
 *
 * <p>It also keeps a task's child workflows inside the task: each is started with the parent
 * close policy {@code TERMINATE}, whatever the workflow asked for, and a child still running when
 * the workflow ends is asked to cancel before the end is recorded (dev mode's embedded test
 * server does not apply parent close policies). A child cannot outlive its task, which cancel and
 * the task's timeout end: one the workflow meant to abandon would go on calling tools as a task no
 * one can see or cancel.
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
   *     exception or error other than a Temporal failure ends FAILED, with its class as the code
   *     ({@code IllegalStateException} → {@code illegal_state_exception}, {@code AssertionError},
   *     {@code StackOverflowError}), instead of failing the workflow task and being retried until
   *     its timeout: a bug in a team's workflow shows as a failed task. Its message says which
   *     class, not the exception's own message (which may carry whatever the code put there: the
   *     task's input, a credential), and the failure carries no stack trace into the history; the
   *     worker's log has the class and where it was thrown (the message and trace at DEBUG).
   *     Temporal's own exceptions (a non-deterministic replay among them) and the JVM running out
   *     of memory still fail only the workflow task, so a fixed deploy or a roomier worker can
   *     resume it.
   */
  public TaskIndexInterceptor(Set<String> failOnAnyException) {
    this.failOnAnyException = Set.copyOf(failOnAnyException);
  }

  @Override
  public WorkflowInboundCallsInterceptor interceptWorkflow(WorkflowInboundCallsInterceptor next) {
    return new WorkflowInboundCallsInterceptorBase(next) {
      private ChildrenEndWithTheTask started;

      @Override
      public void init(WorkflowOutboundCallsInterceptor outbound) {
        started = new ChildrenEndWithTheTask(outbound);
        super.init(started);
      }

      @Override
      public WorkflowOutput execute(WorkflowInput input) {
        try {
          WorkflowOutput out;
          try {
            out = super.execute(input);
          } catch (RuntimeException | Error e) {
            String type = Workflow.getInfo().getWorkflowType();
            if (e instanceof TemporalFailure
                || e.getClass().getName().startsWith("io.temporal.")
                || (e instanceof VirtualMachineError && !(e instanceof StackOverflowError))
                || !failOnAnyException.contains(type)) {
              throw e;
            }
            // Where it failed, but not what the exception says (it may quote the input or a
            // credential): the message and the whole trace only at DEBUG.
            org.slf4j.Logger log = Workflow.getLogger(TaskIndexInterceptor.class);
            log.warn("workflow {} of task {} failed with {} {}", type, Workflow.getInfo().getWorkflowId(), e.getClass().getName(), where(e));
            log.debug("workflow {} of task {} failed", type, Workflow.getInfo().getWorkflowId(), e);
            throw ApplicationFailure.newNonRetryableFailure(
                "the workflow " + type + " failed with " + e.getClass().getSimpleName() + " (the worker's log has the details)",
                e.getClass().getSimpleName());
          }
          started.cancelRunning();
          record("COMPLETED", null, null);
          return out;
        } catch (TemporalFailure e) {
          Workflow.newDetachedCancellationScope(started::cancelRunning).run();
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

  /** The first frames of {@code e}'s stack, for the log: where a team's code failed. */
  private static String where(Throwable e) {
    StackTraceElement[] frames = e.getStackTrace();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(frames.length, 8); i++) {
      sb.append(i == 0 ? "at " : " < ").append(frames[i]);
    }
    return sb.toString();
  }

  /**
   * Starts every child workflow with the parent close policy TERMINATE, and remembers each, so
   * those still running when the workflow ends can be asked to cancel.
   */
  private static final class ChildrenEndWithTheTask extends WorkflowOutboundCallsInterceptorBase {
    private final List<String> ids = new ArrayList<>();
    private final List<Promise<?>> results = new ArrayList<>();

    ChildrenEndWithTheTask(WorkflowOutboundCallsInterceptor next) {
      super(next);
    }

    @Override
    public <R> ChildWorkflowOutput<R> executeChildWorkflow(ChildWorkflowInput<R> input) {
      ChildWorkflowOptions options = input.getOptions();
      ChildWorkflowInput<R> terminating = input;
      if (options == null || options.getParentClosePolicy() != ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE) {
        terminating =
            new ChildWorkflowInput<>(
                input.getWorkflowId(),
                input.getWorkflowType(),
                input.getResultClass(),
                input.getResultType(),
                input.getArgs(),
                (options == null ? ChildWorkflowOptions.newBuilder() : ChildWorkflowOptions.newBuilder(options))
                    .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE)
                    .build(),
                input.getHeader());
      }
      ChildWorkflowOutput<R> out = super.executeChildWorkflow(terminating);
      ids.add(input.getWorkflowId());
      results.add(out.getResult());
      return out;
    }

    /** Asks each child that has not ended to cancel; one that ended meanwhile is left alone. */
    void cancelRunning() {
      for (int i = 0; i < ids.size(); i++) {
        if (!results.get(i).isCompleted()) {
          try {
            Workflow.newUntypedExternalWorkflowStub(ids.get(i)).cancel();
          } catch (RuntimeException endedMeanwhile) {
            // nothing left to stop
          }
        }
      }
    }
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
