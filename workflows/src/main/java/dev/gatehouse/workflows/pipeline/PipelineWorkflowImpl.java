package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.task.FailureCodes;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the DAG: start every step whose dependencies are done, wait for any, repeat. A tool step is
 * a {@code Tool.Call} activity, a model step a {@code Model.Call} activity; a pipeline of tool
 * steps issues the same commands as before model steps existed, so its histories replay. A step
 * a rate limit refused waits on a timer and is called again ({@link RateLimitWaits}), in this
 * loop rather than a thread of its own per step.
 */
public class PipelineWorkflowImpl implements PipelineWorkflow {

  /**
   * {@code Workflow.getVersion} change id. Version 1: when the pipeline fails, the steps still
   * running are cancelled before it closes. Workflows that failed before this version left them
   * running, and their histories must still replay.
   */
  static final String CANCEL_RUNNING_ON_FAILURE = "pipeline-cancel-running-steps-on-failure";

  /**
   * {@code Workflow.getVersion} change id. Version 1: a step whose filled arguments, or outputs
   * that add up, exceed the {@link Expansion} limits fail the pipeline ({@link
   * PipelineWorkflow#EXPANSION_TOO_LARGE}, {@link PipelineWorkflow#OUTPUTS_TOO_LARGE}). Asked only
   * when a limit is exceeded, so other histories carry no marker; a workflow that went past a
   * limit before this version (and did not fail its workflow tasks) replays as it ran.
   */
  static final String BOUND_EXPANSION = "pipeline-bound-expansion";
  /**
   * Version 1: a step whose arguments, filled, nest deeper than {@link Expansion#MAX_ARGS_DEPTH}
   * fails the pipeline ({@link PipelineWorkflow#EXPANSION_TOO_LARGE}). Asked only then, as above;
   * before it such a step failed its workflow tasks until the task's timeout.
   */
  static final String BOUND_DEPTH = "pipeline-bound-depth";

  private final Map<String, ToolActivities> stubs = new HashMap<>();
  private final Map<String, ModelActivities> modelStubs = new HashMap<>();
  /** The steps started and not yet recorded, with their call: a {@code ToolCallResult} or a {@code ModelCallResult}. */
  private final Map<PipelineStep, Promise<?>> running = new LinkedHashMap<>();
  /** The request each started step was called with, for a call made again after a rate limit's wait. */
  private final Map<PipelineStep, Object> requests = new HashMap<>();
  /** The steps whose entry in {@link #running} is a rate limit's timer, not their call. */
  private final Set<PipelineStep> sleeping = new HashSet<>();
  /** How often each step waited for a rate limit. */
  private final Map<PipelineStep, Integer> rateWaits = new HashMap<>();

  @Override
  public JsonNode run(PipelineInput in) {
    Map<String, JsonNode> outputs = new HashMap<>();
    // The steps run in a scope of their own, a child of the workflow's root scope. Cancelling the
    // task cancels it: Workflow.await then throws CanceledFailure, so no further step starts, and
    // every step still running is asked to cancel without being waited for (TRY_CANCEL, see
    // ToolCallPolicy). A failed pipeline cancels the scope alone, below.
    CancellationScope steps = Workflow.newCancellationScope(() -> runSteps(in, outputs));
    try {
      steps.run();
    } catch (ApplicationFailure failed) {
      // Only where there is something to cancel, so the histories of other failures (and of
      // every success) carry no version marker and stay as they were.
      if (running.values().stream().anyMatch(p -> !p.isCompleted())
          && Workflow.getVersion(CANCEL_RUNNING_ON_FAILURE, Workflow.DEFAULT_VERSION, 1) >= 1) {
        steps.cancel();
      }
      throw failed;
    }

    ObjectNode result = JsonNodeFactory.instance.objectNode();
    for (PipelineStep step : in.pipeline().steps()) {
      result.set(step.id(), outputs.get(step.id()));
    }
    return result;
  }

  /** Runs every step, filling {@code outputs}; throws the failure that ends the pipeline. */
  private void runSteps(PipelineInput in, Map<String, JsonNode> outputs) {
    ObjectNode context = JsonNodeFactory.instance.objectNode();
    context.set("input", in.input() == null ? JsonNodeFactory.instance.nullNode() : in.input());
    ObjectNode stepOutputs = context.putObject("steps");
    List<PipelineStep> waiting = new ArrayList<>(in.pipeline().steps());
    Expansion.Sizes sizes = new Expansion.Sizes(context);
    long argsTotal = 0;
    long outputsTotal = 0;

    while (!waiting.isEmpty() || !running.isEmpty()) {
      for (Iterator<PipelineStep> it = waiting.iterator(); it.hasNext(); ) {
        PipelineStep step = it.next();
        if (outputs.keySet().containsAll(step.dependsOn())) {
          it.remove();
          argsTotal = checkArgs(step, sizes.step(step), argsTotal);
          checkDepth(step, sizes.depth(step));
          running.put(step, start(step, context, in));
        }
      }
      // Wait without throwing: a failed step is reported by outputOf with its step id.
      Workflow.await(() -> running.values().stream().anyMatch(Promise::isCompleted));
      Map<PipelineStep, Promise<?>> again = new LinkedHashMap<>();
      for (Iterator<Map.Entry<PipelineStep, Promise<?>>> it =
              running.entrySet().iterator();
          it.hasNext(); ) {
        Map.Entry<PipelineStep, Promise<?>> e = it.next();
        if (e.getValue().isCompleted() && rateLimited(e.getKey(), e.getValue(), in, again)) {
          continue;
        }
        if (e.getValue().isCompleted()) {
          it.remove();
          requests.remove(e.getKey());
          JsonNode output = outputOf(e.getKey(), e.getValue());
          outputsTotal = checkOutputs(e.getKey(), Expansion.of(output), outputsTotal);
          outputs.put(e.getKey().id(), output);
          stepOutputs.putObject(e.getKey().id()).set("output", output);
        }
      }
      // Same keys: the running steps keep their order.
      running.putAll(again);
    }
  }

  /**
   * Whether {@code done}, a completed entry of {@link #running}, is a rate limit's business: a
   * call the limit refused (its timer is put in {@code again}, up to {@link
   * RateLimitWaits#MAX_WAITS} times) or a timer that fired (the call is made again). Anything
   * else is the step's outcome.
   */
  private boolean rateLimited(PipelineStep step, Promise<?> done, PipelineInput in, Map<PipelineStep, Promise<?>> again) {
    if (sleeping.remove(step)) {
      done.get(); // a cancelled timer throws the cancellation
      again.put(step, call(step, requests.get(step), in));
      return true;
    }
    Duration wait = done.getFailure() == null ? null : RateLimitWaits.waitOf(done.getFailure());
    int waits = rateWaits.getOrDefault(step, 0);
    if (wait == null || !RateLimitWaits.mayWait(waits)) {
      return false;
    }
    rateWaits.put(step, waits + 1);
    sleeping.add(step);
    again.put(step, Workflow.newTimer(RateLimitWaits.waitFor(wait, waits + 1)));
    return true;
  }

  /** The arguments' running total with this step's; fails the pipeline past a limit. */
  private static long checkArgs(PipelineStep step, long size, long total) {
    String problem =
        size > Expansion.MAX_STEP_ARGS_BYTES
            ? Expansion.stepTooLarge(step, size)
            : total + size > Expansion.MAX_TOTAL_ARGS_BYTES ? Expansion.totalTooLarge(total + size) : null;
    if (problem != null && Workflow.getVersion(BOUND_EXPANSION, Workflow.DEFAULT_VERSION, 1) >= 1) {
      throw ApplicationFailure.newNonRetryableFailure(problem, EXPANSION_TOO_LARGE, step.id());
    }
    return total + size;
  }

  /** Fails the pipeline when {@code step}'s arguments, filled, nest deeper than the limit. */
  private static void checkDepth(PipelineStep step, int depth) {
    if (depth > Expansion.MAX_ARGS_DEPTH && Workflow.getVersion(BOUND_DEPTH, Workflow.DEFAULT_VERSION, 1) >= 1) {
      throw ApplicationFailure.newNonRetryableFailure(Expansion.stepTooDeep(step, depth), EXPANSION_TOO_LARGE, step.id());
    }
  }

  /** The outputs' running total with this step's; fails the pipeline past the limit. */
  private static long checkOutputs(PipelineStep step, long size, long total) {
    if (total + size > Expansion.MAX_TOTAL_OUTPUTS_BYTES
        && Workflow.getVersion(BOUND_EXPANSION, Workflow.DEFAULT_VERSION, 1) >= 1) {
      throw ApplicationFailure.newNonRetryableFailure(
          "step '" + step.id() + "': the outputs of the steps so far hold over "
              + Expansion.MAX_TOTAL_OUTPUTS_BYTES + " bytes together, the most a task may keep",
          OUTPUTS_TOO_LARGE,
          step.id());
    }
    return total + size;
  }

  private Promise<?> start(PipelineStep step, JsonNode context, PipelineInput in) {
    JsonNode filled;
    try {
      filled = Templates.resolve(step.template(), context);
    } catch (InvalidPipelineException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "step '" + step.id() + "': " + e.getMessage(), TEMPLATE_ERROR, step.id());
    }
    Object request =
        step.callsModel()
            ? new ModelCallRequest(step.id(), step.model(), ModelSteps.body(step, filled), in.caller())
            : new ToolCallRequest(step.id(), step.tool(), filled, in.caller());
    requests.put(step, request);
    return call(step, request, in);
  }

  /** Calls the step's activity with {@code request}, without waiting. */
  private Promise<?> call(PipelineStep step, Object request, PipelineInput in) {
    if (step.callsModel()) {
      ModelActivities stub = modelStubs.computeIfAbsent(step.model(), model -> modelStubFor(model, in.modelPolicies()));
      return Async.function(stub::call, (ModelCallRequest) request);
    }
    ToolActivities stub = stubs.computeIfAbsent(step.tool(), tool -> stubFor(tool, in.toolPolicies()));
    return Async.function(stub::call, (ToolCallRequest) request);
  }

  private static ModelActivities modelStubFor(String model, Map<String, ModelCallPolicy> policies) {
    ModelCallPolicy policy = policies.get(model);
    if (policy == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "no timeout and retry policy was recorded for model '" + model + "'", STEP_FAILED);
    }
    return Workflow.newActivityStub(ModelActivities.class, policy.toActivityOptions());
  }

  private static ToolActivities stubFor(String tool, Map<String, ToolCallPolicy> policies) {
    ToolCallPolicy policy = policies.get(tool);
    if (policy == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "no timeout and retry policy was recorded for tool '" + tool + "'", STEP_FAILED);
    }
    return Workflow.newActivityStub(ToolActivities.class, policy.toActivityOptions());
  }

  private static JsonNode outputOf(PipelineStep step, Promise<?> done) {
    try {
      Object result = done.get();
      JsonNode output =
          result instanceof ModelCallResult answer ? ModelSteps.output(answer) : ((ToolCallResult) result).output();
      return output == null ? JsonNodeFactory.instance.nullNode() : output;
    } catch (ActivityFailure failure) {
      if (failure.getCause() instanceof CanceledFailure canceled) {
        throw canceled;
      }
      Throwable cause = failure.getCause() == null ? failure : failure.getCause();
      String type = FailureCodes.typeOf(cause);
      String why = FailureCodes.messageOf(cause);
      String what = step.callsModel() ? "model " + step.model() : "tool " + step.tool();
      throw ApplicationFailure.newNonRetryableFailureWithCause(
          "step '" + step.id() + "' (" + what + ") failed: " + why,
          STEP_FAILED,
          failure,
          step.id(),
          type);
    }
  }
}
