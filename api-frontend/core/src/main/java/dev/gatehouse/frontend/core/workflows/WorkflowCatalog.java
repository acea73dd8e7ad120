package dev.gatehouse.frontend.core.workflows;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workflow types agents may start as tasks, by name. The application registers each type
 * once at start-up (the pipeline today; the agent loop and teams' own workflows later), and every
 * face that starts tasks finds them here.
 */
public final class WorkflowCatalog {
  private final Map<String, TaskWorkflow> types = new ConcurrentHashMap<>();

  public WorkflowCatalog register(TaskWorkflow workflow) {
    if (types.putIfAbsent(workflow.type(), workflow) != null) {
      throw new IllegalStateException("workflow type '" + workflow.type() + "' is registered twice");
    }
    return this;
  }

  public Optional<TaskWorkflow> find(String type) {
    return Optional.ofNullable(type == null ? null : types.get(type));
  }

  /** The registered names, sorted, for messages that list what may be submitted. */
  public List<String> types() {
    return types.keySet().stream().sorted().toList();
  }
}
