package dev.gatehouse.frontend.app.temporal;

import dev.gatehouse.activities.model.ModelActivitiesImpl;
import dev.gatehouse.activities.task.ApprovalAuditImpl;
import dev.gatehouse.activities.task.TaskIndexActivitiesImpl;
import dev.gatehouse.activities.tool.ToolActivitiesImpl;
import dev.gatehouse.frontend.app.config.WorkerConfig;
import io.dropwizard.lifecycle.Managed;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.util.concurrent.TimeUnit;

/**
 * The Temporal worker: every workflow type ({@link GatehouseWorkflows}) and activity Gatehouse
 * runs, on one task queue, with the task-index interceptor. Started and stopped with the process.
 */
public final class GatehouseWorker implements Managed {
  /** How often a running tool call heartbeats. */
  public static final java.time.Duration HEARTBEAT_EVERY = java.time.Duration.ofSeconds(1);

  private final WorkerFactory factory;

  public GatehouseWorker(
      WorkflowClient client,
      GatehouseWorkflows workflows,
      String taskQueue,
      WorkerConfig config,
      ToolActivitiesImpl tools,
      ModelActivitiesImpl models,
      TaskIndexActivitiesImpl taskIndex,
      ApprovalAuditImpl approvals) {
    factory =
        WorkerFactory.newInstance(
            client,
            WorkerFactoryOptions.newBuilder()
                .setWorkerInterceptors(workflows.interceptors())
                .setWorkflowCacheSize(config.getWorkflowCacheSize())
                .build());
    Worker worker =
        factory.newWorker(
            taskQueue,
            WorkerOptions.newBuilder()
                .setMaxConcurrentActivityExecutionSize(config.getMaxConcurrentActivities())
                .setMaxConcurrentWorkflowTaskExecutionSize(config.getMaxConcurrentWorkflowTasks())
                .setMaxConcurrentLocalActivityExecutionSize(config.getMaxConcurrentActivities())
                .setStickyQueueScheduleToStartTimeout(config.getStickyQueueScheduleToStartTimeout().toJavaDuration())
                // Heartbeats carry a tool's progress to the front end waiting for it, and bring
                // back a cancellation: send them promptly, also when a heartbeat timeout is set
                // (the SDK would otherwise wait up to 80% of it between heartbeats).
                .setDefaultHeartbeatThrottleInterval(java.time.Duration.ofMillis(200))
                .setMaxHeartbeatThrottleInterval(HEARTBEAT_EVERY)
                .build());
    workflows.register(worker, config.getToolHeartbeatTimeout().toJavaDuration());
    worker.registerActivitiesImplementations(tools, models, taskIndex, approvals);
  }

  @Override
  public void start() {
    try {
      factory.start();
    } catch (io.grpc.StatusRuntimeException e) {
      io.grpc.Status.Code code = e.getStatus().getCode();
      if (code == io.grpc.Status.Code.UNAVAILABLE || code == io.grpc.Status.Code.DEADLINE_EXCEEDED || code == io.grpc.Status.Code.NOT_FOUND) {
        // The engine cannot be reached, or has no such namespace: said in one line that names the settings.
        throw new dev.gatehouse.frontend.app.cli.CommandExit(
            1,
            "the worker cannot start: the Temporal engine at " + factory.getWorkflowClient().getWorkflowServiceStubs().getOptions().getTarget()
                + ", namespace " + factory.getWorkflowClient().getOptions().getNamespace()
                + " (temporal.target, temporal.namespace): " + dev.gatehouse.frontend.app.cli.McpProbeCommand.describe(e));
      }
      throw e;
    }
  }

  @Override
  public void stop() throws InterruptedException {
    try {
      factory.shutdown();
    } catch (io.grpc.StatusRuntimeException e) {
      // an engine that was never reached (the start failed) has nothing to be told
    }
    factory.awaitTermination(10, TimeUnit.SECONDS);
  }
}
