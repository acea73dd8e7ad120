package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.approval.ApprovalGate;
import dev.gatehouse.workflows.approval.Approvals;
import dev.gatehouse.workflows.limits.RateLimitWaits;
import dev.gatehouse.workflows.model.EarlierAttempts;
import dev.gatehouse.workflows.model.ModelActivities;
import dev.gatehouse.workflows.model.ModelBudget;
import dev.gatehouse.workflows.model.ModelCallRequest;
import dev.gatehouse.workflows.model.ModelCallResult;
import dev.gatehouse.workflows.model.ModelCallUsage;
import dev.gatehouse.workflows.task.FailureCodes;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs the loop of {@link AgentWorkflow}. Each step runs in a cancellation scope of its own, so a
 * deadline cancels the step's activities; cancelling the task cancels them too, and the task ends
 * CANCELED. A model or tool call that a rate limit refused waits on a timer, within the deadline,
 * and is made again ({@link RateLimitWaits}).
 */
public class AgentWorkflowImpl implements AgentWorkflow {
  /** A run continues as new before its history holds more events than this. */
  static final int CONTINUE_AFTER_EVENTS = 1_000;
  /**
   * ... or before the payloads it recorded (every model request carries the transcript, so they
   * grow with the square of the steps) pass this many characters, as the run counts them itself.
   */
  static final long CONTINUE_AFTER_CHARS = 1024 * 1024;

  private final Map<String, ToolActivities> toolStubs = new HashMap<>();
  private AgentInput in;
  private List<ObjectNode> transcript;
  private long transcriptChars;
  /** The characters of the payloads this run recorded so far: requests, answers, tool arguments and results. */
  private long recordedChars;
  private int steps;
  private int toolCalls;
  private long inputTokens;
  private long outputTokens;
  private BigDecimal cost;
  private long deadlineAt;
  private ObjectNode lastMessage;
  private Promise<Void> deadlineTimer;
  private ApprovalGate approvals;
  /** How often the current model call waited for a rate limit. */
  private int modelWaits;
  private String lastContent;

  @Override
  public AgentResult run(AgentInput input) {
    this.in = input;
    this.approvals = new ApprovalGate(input.caller());
    AgentState s = input.state();
    transcript = new ArrayList<>(input.messages());
    transcriptChars = transcript.stream().mapToLong(AgentTranscript::chars).sum();
    if (s == null) {
      Long d = input.limits().deadlineMillis();
      deadlineAt = d == null ? 0 : Workflow.currentTimeMillis() + d;
      cost = BigDecimal.ZERO;
    } else {
      steps = s.steps();
      toolCalls = s.toolCalls();
      inputTokens = s.inputTokens();
      outputTokens = s.outputTokens();
      cost = new BigDecimal(s.cost());
      deadlineAt = s.deadlineAt();
    }
    lastMessage = lastAssistant(transcript);
    lastContent = lastMessage == null || !lastMessage.path("content").isTextual() ? null : lastMessage.get("content").textValue();

    ModelActivities model = Workflow.newActivityStub(ModelActivities.class, input.modelPolicy().toActivityOptions());
    while (true) {
      if (steps >= input.limits().maxSteps()) {
        return result(MAX_STEPS);
      }
      if (deadlinePassed()) {
        return result(DEADLINE);
      }
      ModelBudget budget = budget();
      if (budget == null) {
        return result(BUDGET);
      }
      if (historyIsLarge(input)) {
        Workflow.continueAsNew(input.next(transcript, state()));
      }
      int step = steps + 1;
      ModelCallRequest request =
          new ModelCallRequest(
              "model-" + step,
              input.model(),
              AgentTranscript.request(input.model(), transcript, input.tools(), input.limits().maxOutputTokens()),
              input.caller(),
              budget);
      recordedChars += AgentTranscript.chars(request.body());
      Step<ModelCallResult> call = within(() -> Async.function(model::call, request));
      if (call.deadline()) {
        return result(DEADLINE);
      }
      ModelCallResult answer;
      try {
        answer = call.promise().get();
      } catch (ActivityFailure failure) {
        rethrowCancel(failure);
        if (failure.getCause() instanceof ApplicationFailure af && ModelBudget.BUDGET_EXCEEDED.equals(af.getType())) {
          count(EarlierAttempts.of(failure));
          return result(BUDGET);
        }
        Duration wait = RateLimitWaits.waitOf(failure);
        if (wait != null && RateLimitWaits.mayWait(modelWaits)) {
          count(EarlierAttempts.of(failure)); // the call made again is a new activity: it does not know of them
          modelWaits++;
          Duration sleep = RateLimitWaits.waitFor(wait, modelWaits);
          if (within(() -> Workflow.newTimer(sleep)).deadline()) {
            return result(DEADLINE);
          }
          continue; // the same step again, after the checks every step passes
        }
        throw modelFailed(step, failure);
      }
      modelWaits = 0;
      steps = step;
      count(answer);
      ObjectNode message = AgentTranscript.assistantMessage(answer.message(), answer.content(), step);
      recordedChars += AgentTranscript.chars(message);
      append(message);
      lastMessage = message;
      lastContent = answer.content();
      List<AgentTranscript.ToolCall> asked = AgentTranscript.toolCalls(message);
      if (asked.isEmpty()) {
        return result(COMPLETED);
      }
      toolCalls += asked.size();
      if (steps >= input.limits().maxSteps()) {
        return result(MAX_STEPS);
      }
      if (!runTools(step, asked)) {
        return result(DEADLINE);
      }
    }
  }

  /**
   * Runs the calls of one answer in parallel (at most {@link AgentTranscript#MAX_TOOL_CALLS_PER_STEP})
   * and appends their results in the order asked. False when the deadline came first (the calls
   * still running are cancelled and nothing is appended).
   */
  private boolean runTools(int step, List<AgentTranscript.ToolCall> asked) {
    Map<String, AgentTool> byFunction = new HashMap<>();
    for (AgentTool t : in.tools()) {
      byFunction.put(t.function(), t);
    }
    Map<String, String> refused = askApprovals(step, asked, byFunction);
    if (refused == null) {
      return false;
    }
    List<Promise<ToolCallResult>> running = new ArrayList<>();
    List<String> immediate = new ArrayList<>();
    // What each call was made with, for one a rate limit refused (null for calls not run).
    List<ToolActivities> stubsOf = new ArrayList<>();
    List<ToolCallRequest> requestsOf = new ArrayList<>();
    Step<Void> all =
        within(
            () -> {
              for (int i = 0; i < asked.size(); i++) {
                AgentTranscript.ToolCall c = asked.get(i);
                AgentTool tool = byFunction.get(c.function());
                stubsOf.add(null);
                requestsOf.add(null);
                if (i >= AgentTranscript.MAX_TOOL_CALLS_PER_STEP) {
                  running.add(null);
                  immediate.add(
                      AgentTranscript.errorText(
                          "too_many_tool_calls",
                          "not run: one answer may ask for at most " + AgentTranscript.MAX_TOOL_CALLS_PER_STEP + " tool calls"));
                } else if (tool == null) {
                  running.add(null);
                  immediate.add(
                      AgentTranscript.errorText(
                          "tool_not_allowed", "not run: no tool named '" + c.function() + "' is available to this task"));
                } else if (refused.containsKey(callId(step, i))) {
                  running.add(null);
                  immediate.add(refused.get(callId(step, i)));
                } else {
                  ToolActivities stub = toolStubs.computeIfAbsent(tool.name(), n -> Workflow.newActivityStub(ToolActivities.class, tool.policy().toActivityOptions()));
                  // A large result is stored outside the history; the transcript keeps a reference.
                  ToolCallRequest req =
                      new ToolCallRequest(
                          callId(step, i), tool.name(), AgentTranscript.arguments(c.arguments()), in.caller(),
                          AgentTranscript.STORE_RESULTS_OVER);
                  running.add(Async.function(stub::call, req));
                  stubsOf.set(i, stub);
                  requestsOf.set(i, req);
                  immediate.add(null);
                }
              }
              return allEnded(running);
            });
    if (all.deadline()) {
      return false;
    }
    // The calls a rate limit refused wait for the longest of their waits and are made again.
    for (int waits = 1; waits <= RateLimitWaits.MAX_WAITS; waits++) {
      Duration wait = null;
      List<Integer> refusedCalls = new ArrayList<>();
      for (int i = 0; i < running.size(); i++) {
        Promise<ToolCallResult> p = running.get(i);
        Duration w = p == null || p.getFailure() == null ? null : RateLimitWaits.waitOf(p.getFailure());
        if (w != null) {
          refusedCalls.add(i);
          wait = wait == null || w.compareTo(wait) > 0 ? w : wait;
        }
      }
      if (wait == null || !RateLimitWaits.mayWait(waits - 1)) {
        break;
      }
      Duration sleep = RateLimitWaits.waitFor(wait, waits);
      if (within(() -> Workflow.newTimer(sleep)).deadline()) {
        return false;
      }
      Step<Void> again =
          within(
              () -> {
                List<Promise<ToolCallResult>> made = new ArrayList<>();
                for (int i : refusedCalls) {
                  ToolActivities stub = stubsOf.get(i);
                  running.set(i, Async.function(stub::call, requestsOf.get(i)));
                  made.add(running.get(i));
                }
                return allEnded(made);
              });
      if (again.deadline()) {
        return false;
      }
    }
    for (int i = 0; i < asked.size(); i++) {
      Promise<ToolCallResult> p = running.get(i);
      ObjectNode result = p == null ? AgentTranscript.toolMessage(asked.get(i).id(), immediate.get(i)) : messageOf(asked.get(i).id(), p);
      // The call's arguments went into the history too, and its result about as the model reads it.
      recordedChars += asked.get(i).arguments().length() + AgentTranscript.chars(result);
      append(result);
    }
    return true;
  }

  /**
   * A promise of every call ending, failed or not: allOf alone completes at the first failure, and
   * the deadline would then not reach the calls still running.
   */
  private static Promise<Void> allEnded(List<Promise<ToolCallResult>> calls) {
    List<Promise<Object>> ended =
        calls.stream().filter(p -> p != null).map(p -> p.handle((result, failure) -> (Object) null)).toList();
    return ended.isEmpty() ? Async.procedure(() -> {}) : Promise.allOf(ended);
  }

  private static String callId(int step, int index) {
    return "tool-" + step + "." + (index + 1);
  }

  /**
   * Asks for a decision on every call of this answer whose tool needs approval, all at once, and
   * waits until each is decided or the approvals expire (an expired call counts as denied).
   * Returns the error result of each call that may not run, by call id; null when the deadline
   * came first.
   */
  private Map<String, String> askApprovals(int step, List<AgentTranscript.ToolCall> asked, Map<String, AgentTool> byFunction) {
    List<ApprovalGate.Ask> asks = new ArrayList<>();
    for (int i = 0; i < asked.size() && i < AgentTranscript.MAX_TOOL_CALLS_PER_STEP; i++) {
      AgentTool tool = byFunction.get(asked.get(i).function());
      if (tool != null && tool.approval()) {
        asks.add(
            new ApprovalGate.Ask(callId(step, i), tool.name(), AgentTranscript.arguments(asked.get(i).arguments()), tool.approvalPolicy()));
      }
    }
    Map<String, Approvals.Call> decided =
        approvals.ask(asks, Workflow.currentTimeMillis() + in.limits().approvalTimeout(), deadlineAt);
    if (decided == null) {
      return null;
    }
    Map<String, String> refused = new HashMap<>();
    for (Approvals.Call c : decided.values()) {
      if (c.status().equals("denied")) {
        refused.put(
            c.callId(),
            AgentTranscript.errorText(
                "approval_denied",
                "not run: an operator denied this call" + (c.reason() == null || c.reason().isBlank() ? "" : ": " + c.reason())));
      } else if (c.status().equals("expired")) {
        refused.put(
            c.callId(), AgentTranscript.errorText("approval_expired", "not run: no operator decided on this call before its approval expired"));
      }
    }
    return refused;
  }

  @Override
  public void validateDecide(Approvals.Decision d) {
    if (approvals == null) {
      throw Approvals.refusal(Approvals.NOT_FOUND, "no call of this task waits for that approval");
    }
    approvals.validateDecide(d);
  }

  @Override
  public Approvals.Call decide(Approvals.Decision d) {
    return approvals.decide(d);
  }

  @Override
  public List<Approvals.Call> approvals() {
    return approvals == null ? List.of() : approvals.approvals();
  }

  @Override
  public com.fasterxml.jackson.databind.JsonNode arguments(String callId) {
    return approvals == null ? null : approvals.arguments(callId);
  }

  /**
   * The tool message answering call {@code id} with a finished call: its result (a reference,
   * when the activity stored it), or the error it ended with.
   */
  private static ObjectNode messageOf(String id, Promise<ToolCallResult> done) {
    try {
      ToolCallResult r = done.get();
      if (r.stored() != null) {
        return AgentTranscript.storedToolMessage(id, r.stored());
      }
      return AgentTranscript.toolMessage(id, AgentTranscript.resultText(r.output()));
    } catch (ActivityFailure failure) {
      return AgentTranscript.toolMessage(id, failureText(failure));
    }
  }

  /** A failed tool call's content for the model: the error it ended with. */
  private static String failureText(ActivityFailure failure) {
    rethrowCancel(failure);
    Throwable cause = failure.getCause() == null ? failure : failure.getCause();
    String code =
        cause instanceof ApplicationFailure af && af.getType() != null ? FailureCodes.of(af.getType()) : FailureCodes.WORKFLOW_FAILED;
    String why = cause instanceof ApplicationFailure af ? af.getOriginalMessage() : cause.getMessage();
    return AgentTranscript.errorText(code, "the tool call failed: " + why);
  }

  /** A step's promise, and whether the deadline came before it completed. */
  private record Step<T>(Promise<T> promise, boolean deadline) {}

  /**
   * Starts a step in a scope of its own and waits for it, at most until the deadline. When the
   * deadline comes first the scope is cancelled (its activities are asked to stop, not waited for).
   */
  private <T> Step<T> within(Supplier<Promise<T>> start) {
    List<Promise<T>> holder = new ArrayList<>(1);
    CancellationScope scope = Workflow.newCancellationScope(() -> holder.add(start.get()));
    scope.run();
    Promise<T> promise = holder.get(0);
    Promise<Void> deadline = deadlineTimer();
    if (deadline == null) {
      Workflow.await(promise::isCompleted);
      return new Step<>(promise, false);
    }
    Workflow.await(() -> promise.isCompleted() || deadline.isCompleted());
    if (!promise.isCompleted()) {
      scope.cancel();
      return new Step<>(promise, true);
    }
    return new Step<>(promise, false);
  }

  /**
   * One timer per run for the deadline, started when the first step of the run starts (null when
   * the task has none): every step waits on it, so a run records at most one timer.
   */
  private Promise<Void> deadlineTimer() {
    if (deadlineAt == 0) {
      return null;
    }
    if (deadlineTimer == null) {
      long left = Math.max(1, deadlineAt - Workflow.currentTimeMillis());
      deadlineTimer = Workflow.newTimer(Duration.ofMillis(left));
    }
    return deadlineTimer;
  }

  private static void rethrowCancel(ActivityFailure failure) {
    if (failure.getCause() instanceof CanceledFailure canceled) {
      throw canceled;
    }
  }

  private static ApplicationFailure modelFailed(int step, ActivityFailure failure) {
    Throwable cause = failure.getCause() == null ? failure : failure.getCause();
    String type = FailureCodes.typeOf(cause);
    String why = FailureCodes.messageOf(cause);
    return ApplicationFailure.newNonRetryableFailureWithCause(
        "model call " + step + " failed: " + why, MODEL_FAILED, failure, "model-" + step, type);
  }

  /** Counts an answer's usage and cost, and what the step's earlier attempts were billed. */
  private void count(ModelCallResult answer) {
    ModelCallUsage u = answer.usage();
    if (u != null) {
      inputTokens += u.inputTokens();
      outputTokens += u.outputTokens();
    }
    if (answer.cost() != null) {
      cost = cost.add(new BigDecimal(answer.cost()));
    }
    count(answer.earlierAttempts());
  }

  /** Counts what a step's attempts were billed without an answer the step kept (null: nothing). */
  private void count(EarlierAttempts billed) {
    if (billed == null) {
      return;
    }
    inputTokens += billed.inputTokens();
    outputTokens += billed.outputTokens();
    if (billed.cost() != null) {
      cost = cost.add(new BigDecimal(billed.cost()));
    }
  }

  /** What the next model call may spend; null when the task's tokens or cost are spent already. */
  private ModelBudget budget() {
    AgentLimits limits = in.limits();
    Long tokens = null;
    if (limits.maxTokens() != null) {
      tokens = limits.maxTokens() - inputTokens - outputTokens;
      if (tokens <= 0) {
        return null;
      }
    }
    String money = null;
    if (limits.maxCost() != null) {
      BigDecimal left = new BigDecimal(limits.maxCost()).subtract(cost);
      if (left.signum() <= 0) {
        return null;
      }
      money = left.toPlainString();
    }
    return new ModelBudget(tokens, money);
  }

  private boolean deadlinePassed() {
    return deadlineAt != 0 && Workflow.currentTimeMillis() >= deadlineAt;
  }

  private boolean historyIsLarge(AgentInput input) {
    WorkflowInfo info = Workflow.getInfo();
    int events = input.continueAfterEvents() == null ? CONTINUE_AFTER_EVENTS : input.continueAfterEvents();
    return info.getHistoryLength() > events || recordedChars > CONTINUE_AFTER_CHARS || info.isContinueAsNewSuggested();
  }

  private void append(ObjectNode message) {
    transcriptChars += AgentTranscript.chars(message);
    if (transcriptChars > AgentTranscript.MAX_CHARS) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the transcript grew past " + AgentTranscript.MAX_CHARS + " characters, the most an agent task keeps",
          TRANSCRIPT_TOO_LARGE);
    }
    transcript.add(message);
  }

  private AgentState state() {
    return new AgentState(steps, toolCalls, inputTokens, outputTokens, cost.toPlainString(), deadlineAt, in.state() == null ? 1 : in.state().runs() + 1);
  }

  private AgentResult result(String stopReason) {
    return new AgentResult(
        lastContent,
        lastMessage,
        stopReason,
        steps,
        toolCalls,
        new AgentUsage(inputTokens, outputTokens, inputTokens + outputTokens, cost.toPlainString()));
  }

  private static ObjectNode lastAssistant(List<ObjectNode> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if ("assistant".equals(messages.get(i).path("role").asText())) {
        return messages.get(i);
      }
    }
    return null;
  }
}
