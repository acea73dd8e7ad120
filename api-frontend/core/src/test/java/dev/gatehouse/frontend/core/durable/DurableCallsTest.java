package dev.gatehouse.frontend.core.durable;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.workflows.approval.Approvals.Decision;
import io.grpc.Status;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowServiceException;
import org.junit.jupiter.api.Test;

/**
 * A query of a task the engine did not answer: with no worker running, the engine waited for one
 * and gave up, and an operator read "the task may have ended" of a task still running. And the
 * update id of an operator's decision, which makes the same decision sent again the same update.
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

  @Test
  void theSameDecisionHasTheSameUpdateIdAndAnyOtherPartMakesAnother() {
    String hash = "a".repeat(64);
    Decision approve = new Decision("tool-1.1", "approve", hash, "ok", "key_1", null);
    assertThat(DurableCalls.updateId(approve))
        .isEqualTo(DurableCalls.updateId(new Decision("tool-1.1", "approve", hash, "ok", "key_1", null)))
        .matches("decision-[0-9a-f]{64}");
    java.util.Set<String> others = new java.util.HashSet<>(java.util.List.of(
        DurableCalls.updateId(approve),
        DurableCalls.updateId(new Decision("tool-1.2", "approve", hash, "ok", "key_1", null)),
        DurableCalls.updateId(new Decision("tool-1.1", "deny", hash, "ok", "key_1", null)),
        DurableCalls.updateId(new Decision("tool-1.1", "approve", "b".repeat(64), "ok", "key_1", null)),
        DurableCalls.updateId(new Decision("tool-1.1", "approve", hash, null, "key_1", null)),
        DurableCalls.updateId(new Decision("tool-1.1", "approve", hash, "", "key_1", null)),
        DurableCalls.updateId(new Decision("tool-1.1", "approve", hash, "ok", "key_2", null)),
        DurableCalls.updateId(new Decision("tool-1.1", "approve", hash, "ok", "key_1", "v2")),
        // the same characters split between two parts another way
        DurableCalls.updateId(new Decision("tool-1.1", "approve", hash, "okkey_1", "", null))));
    assertThat(others).hasSize(9);
  }
}
