package dev.gatehouse.workflows.spi;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Set;

/**
 * A workflow type agents may start as a task ({@code POST /v1/tasks {"workflow": name(), "input":
 * {...}}}), found with {@link java.util.ServiceLoader}: a jar names its implementations of this
 * interface in {@code META-INF/services/dev.gatehouse.workflows.spi.GatehouseWorkflow}, and every
 * Gatehouse server and worker that has the jar on its class path (or in its configured {@code
 * workflows.jars}) offers the type and runs it. The built-in {@code agent} and {@code pipeline}
 * types are registered the same way.
 *
 * <p>The implementation is an ordinary Temporal workflow whose {@code @WorkflowMethod} is named
 * {@link #name()} and takes one {@link TaskInput}. It reaches tools and models only through {@link
 * Governed}, which runs each call as the gateway's governed {@code Tool.Call} or {@code
 * Model.Call} activity: the agent's permissions checked again at every call, the registry's
 * timeouts and retries, credentials the workflow never sees, approvals held at the gateway, usage
 * and the audit log written, every call in the task's trace.
 *
 * <p>Before a task starts, the gateway checks that the agent may run the workflow (its {@code
 * workflows} allow list), that every tool in {@link #tools()} and model in {@link #models()} is
 * known in the agent's tenant and allowed to the agent, and {@link #validate}s the input; any
 * failure is a 4xx and nothing starts.
 *
 * <p>The implementation is code the platform deploys into its workers, with the worker's rights:
 * {@link Governed} keeps a workflow written against it within what was granted at submit, but
 * cannot stop code that steps around it (docs/workflows.md, "What Governed guarantees").
 */
public interface GatehouseWorkflow {

  /**
   * The name agents submit as {@code "workflow"}, and the Temporal workflow type of {@link
   * #implementation()}: 1 to 64 characters, lower-case letters, digits, {@code '-'}, {@code '_'}
   * and {@code '.'}, starting with a letter.
   */
  String name();

  /**
   * The workflow implementation the worker registers: a public class with a public no-argument
   * constructor, implementing a {@code @WorkflowInterface} whose {@code @WorkflowMethod} is named
   * {@link #name()}.
   */
  Class<?> implementation();

  /** One line on what the workflow does: for the team's own listings (no Gatehouse endpoint shows it yet). */
  default String description() {
    return "";
  }

  /**
   * The registry names of the tools the workflow calls. Each must be known in the agent's tenant
   * and allowed to the agent when the task is submitted; the workflow can call no other ({@link
   * Governed#tool} refuses it with {@code tool_not_declared}).
   */
  default Set<String> tools() {
    return Set.of();
  }

  /** The model aliases the workflow calls: checked like {@link #tools()}. */
  default Set<String> models() {
    return Set.of();
  }

  /**
   * Checks the task's {@code input} (a JSON object; an empty one when the submission had none)
   * before anything starts. Throw {@link InvalidTaskInputException} with a message for the agent:
   * the submission is refused with 400 {@code invalid_request} and that message. Runs in the front
   * end, not in workflow code, so it may be strict without affecting replay.
   */
  default void validate(JsonNode input) throws InvalidTaskInputException {}

  /**
   * How long a call that needs approval waits for an operator's decision before it counts as
   * denied.
   */
  default Duration approvalTimeout() {
    return Duration.ofHours(24);
  }
}
