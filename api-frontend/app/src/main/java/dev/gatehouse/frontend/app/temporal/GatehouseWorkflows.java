package dev.gatehouse.frontend.app.temporal;

import dev.gatehouse.workflows.agent.AgentWorkflowImpl;
import dev.gatehouse.workflows.pipeline.PipelineWorkflowImpl;
import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import dev.gatehouse.workflows.tool.ToolCallWorkflowImpl;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;

/**
 * The workflow side of every Gatehouse worker, in one place: the workflow implementations, how
 * they are registered, and the worker interceptors. {@link GatehouseWorker} runs them and {@code
 * gatehouse replay} replays histories against them, so a workflow type added here is both run and
 * replayed.
 */
public final class GatehouseWorkflows {
  /** Every workflow implementation a Gatehouse worker registers. */
  public static final List<Class<?>> IMPLEMENTATIONS =
      List.of(PipelineWorkflowImpl.class, ToolCallWorkflowImpl.class, AgentWorkflowImpl.class);

  private GatehouseWorkflows() {}

  /** The worker interceptors of every worker factory that runs or replays Gatehouse workflows (new instances). */
  public static WorkerInterceptor[] interceptors() {
    return new WorkerInterceptor[] {new TaskIndexInterceptor()};
  }

  /** Registers {@link #IMPLEMENTATIONS} on {@code worker} with the options a Gatehouse worker gives them. */
  public static void register(Worker worker, Duration toolHeartbeatTimeout) {
    worker.registerWorkflowImplementationTypes(
        ToolActivityDefaults.implementationOptions(toolHeartbeatTimeout), IMPLEMENTATIONS.toArray(Class<?>[]::new));
  }
}
