package dev.gatehouse.frontend.core.durable;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import io.grpc.Status;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowServiceException;
import org.junit.jupiter.api.Test;

/**
 * A query of a task the engine did not answer: with no worker running, the engine waited for one
 * and gave up, and an operator read "the task may have ended" of a task still running.
 */
class DurableCallsTest {
  private static final WorkflowExecution TASK = WorkflowExecution.newBuilder().setWorkflowId("task_1").build();

  @Test
  void aQueryNoWorkerAnsweredIsTheEngineUnavailableNotATaskThatEnded() {
    ApiException noWorker =
        DurableCalls.queryRefused(new WorkflowServiceException(TASK, "agent", Status.DEADLINE_EXCEEDED.asRuntimeException()));
    assertThat(noWorker.error()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
    assertThat(noWorker.getMessage()).contains("no worker answered");

    ApiException other =
        DurableCalls.queryRefused(new WorkflowServiceException(TASK, "agent", Status.FAILED_PRECONDITION.asRuntimeException()));
    assertThat(other.error()).isEqualTo(ErrorCode.TASK_CLOSED);
  }
}
