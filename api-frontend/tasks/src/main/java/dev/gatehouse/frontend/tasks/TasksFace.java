package dev.gatehouse.frontend.tasks;

import dev.gatehouse.frontend.core.face.Face;
import dev.gatehouse.frontend.core.face.FaceContext;
import io.dropwizard.core.setup.Environment;
import java.time.Duration;

/**
 * The task API face, {@code /v1/tasks}: agents submit tasks of the workflow catalog's types, read
 * their status and traces, list and cancel them.
 */
public final class TasksFace implements Face {
  private final Duration defaultTimeout;
  private final Duration maxWait;
  private final Duration maxTimeout;
  private final int maxWaits;
  private final int maxWaitsPerAgent;
  private final int maxWaitsPerTenant;

  /** {@code defaultTimeout}: a task's timeout when it names none; {@code maxWait}: the longest {@code ?wait=}. */
  public TasksFace(Duration defaultTimeout, Duration maxWait) {
    this(defaultTimeout, maxWait, dev.gatehouse.registry.Durations.MAX);
  }

  /** ... and {@code maxTimeout}: the longest timeout a task may ask for (a longer one is 400). */
  public TasksFace(Duration defaultTimeout, Duration maxWait, Duration maxTimeout) {
    this(defaultTimeout, maxWait, maxTimeout, TaskService.MAX_WAITS, TaskService.MAX_WAITS_PER_AGENT, TaskService.MAX_WAITS_PER_TENANT);
  }

  /** ... and how many reads waiting for a task's end one replica, one agent and one tenant on it, hold at once. */
  public TasksFace(
      Duration defaultTimeout, Duration maxWait, Duration maxTimeout, int maxWaits, int maxWaitsPerAgent, int maxWaitsPerTenant) {
    this.maxWaits = maxWaits;
    this.maxWaitsPerAgent = maxWaitsPerAgent;
    this.maxWaitsPerTenant = maxWaitsPerTenant;
    this.defaultTimeout = defaultTimeout;
    this.maxWait = maxWait;
    this.maxTimeout = maxTimeout;
  }

  @Override
  public void install(FaceContext core, Environment env) {
    TaskService tasks =
        new TaskService(core.jdbi(), core.durable(), core.workflows(), defaultTimeout, core.bodies(), maxTimeout)
            .waitsAtMost(maxWaits, maxWaitsPerAgent, maxWaitsPerTenant)
            .countingRefusals(core.metrics());
    env.jersey().register(new TasksResource(tasks, core.bodies(), maxWait));
  }
}
