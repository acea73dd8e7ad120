package dev.gatehouse.frontend.app.temporal;

import dev.gatehouse.workflows.spi.GatehouseWorkflow;
import dev.gatehouse.workflows.task.TaskIndexInterceptor;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import dev.gatehouse.workflows.tool.ToolCallWorkflow;
import dev.gatehouse.workflows.tool.ToolCallWorkflowImpl;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.worker.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The workflow side of every Gatehouse worker, in one place: the workflow types agents start as
 * tasks (found with {@link java.util.ServiceLoader}: the built-in {@code agent} and {@code
 * pipeline}, and every team's {@link GatehouseWorkflow} on the class path or in the configured
 * jars), Gatehouse's own {@code tool-call} workflow, how they are registered, and the worker
 * interceptors. {@link GatehouseWorker} runs them and {@code gatehouse replay} replays histories
 * against them, so a workflow type found here is both run and replayed.
 */
public final class GatehouseWorkflows {
  /** Workflow types Gatehouse runs for its own use, which no provider may take. */
  public static final Set<String> RESERVED = Set.of(ToolCallWorkflow.TYPE);
  /** The built-in task workflows; every other provider's workflow takes a {@code TaskInput}. */
  public static final Set<String> BUILT_IN = Set.of("agent", "pipeline");

  private final List<GatehouseWorkflow> tasks;

  private GatehouseWorkflows(List<GatehouseWorkflow> tasks) {
    this.tasks = tasks;
  }

  /**
   * The workflows of the class path and of {@code jars} (jar files, or directories of them),
   * checked: a provider that names its workflow wrongly, twice, or with a workflow method that
   * does not take a {@code TaskInput} stops the start with a message naming it.
   */
  public static GatehouseWorkflows discover(List<Path> jars) {
    ClassLoader loader = WorkflowProviders.classLoader(jars, GatehouseWorkflows.class.getClassLoader());
    List<GatehouseWorkflow> found = WorkflowProviders.load(loader, RESERVED);
    for (String builtIn : BUILT_IN) {
      if (found.stream().noneMatch(w -> w.name().equals(builtIn))) {
        throw new IllegalStateException("the built-in workflow '" + builtIn + "' is missing from the class path");
      }
    }
    for (GatehouseWorkflow w : found) {
      if (!BUILT_IN.contains(w.name()) && !WorkflowProviders.takesTaskInput(w)) {
        throw new IllegalStateException(
            "workflow '" + w.name() + "': the workflow method of " + w.implementation().getName() + " must take one TaskInput");
      }
    }
    return new GatehouseWorkflows(found);
  }

  /** The class path's workflows alone (no extra jars). */
  public static GatehouseWorkflows discover() {
    return discover(List.of());
  }

  /** The workflow types agents may start as tasks, sorted by name. */
  public List<GatehouseWorkflow> tasks() {
    return tasks;
  }

  /** Every workflow implementation a Gatehouse worker registers. */
  public List<Class<?>> implementations() {
    List<Class<?>> all = new ArrayList<>();
    tasks.forEach(w -> all.add(w.implementation()));
    all.add(ToolCallWorkflowImpl.class);
    return all;
  }

  /** The worker interceptors of every worker factory that runs or replays these workflows (new instances). */
  public WorkerInterceptor[] interceptors() {
    Set<String> teams = tasks.stream().map(GatehouseWorkflow::name).filter(n -> !BUILT_IN.contains(n)).collect(Collectors.toSet());
    return new WorkerInterceptor[] {new TaskIndexInterceptor(teams)};
  }

  /** Registers {@link #implementations()} on {@code worker} with the options a Gatehouse worker gives them. */
  public void register(Worker worker, Duration toolHeartbeatTimeout) {
    worker.registerWorkflowImplementationTypes(
        ToolActivityDefaults.implementationOptions(toolHeartbeatTimeout), implementations().toArray(Class<?>[]::new));
  }
}
