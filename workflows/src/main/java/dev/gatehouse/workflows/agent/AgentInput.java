package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.tool.Caller;
import java.util.List;

/**
 * Input of {@link AgentWorkflow}, checked whole by the front end at submit time.
 *
 * @param model the model alias every step calls
 * @param messages the transcript so far, OpenAI chat messages (at submit: the agent's messages,
 *     or its goal as one user message)
 * @param tools the tools the model may call: the submission's patterns, narrowed by the agent's
 *     own permissions, as the registry had them at submit time
 * @param limits the task's limits
 * @param caller who the task acts for; its scopes narrow the agent's tools to {@code tools}, so a
 *     tool call of any other tool is refused by the tool activity's own check
 * @param modelPolicy the timeout and retry policy of the model's calls
 * @param state what earlier runs of this task did (null on the first run; see {@link AgentState})
 * @param continueAfterEvents a run continues as new once its history holds more events than this
 *     (null: {@link AgentWorkflowImpl#CONTINUE_AFTER_EVENTS}); tests set it lower
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentInput(
    String model,
    List<ObjectNode> messages,
    List<AgentTool> tools,
    AgentLimits limits,
    Caller caller,
    ModelCallPolicy modelPolicy,
    AgentState state,
    Integer continueAfterEvents) {

  @JsonCreator
  public AgentInput {
    messages = messages == null ? List.of() : List.copyOf(messages);
    tools = tools == null ? List.of() : List.copyOf(tools);
  }

  /** The input of the next run of the same task: the transcript and the state so far. */
  AgentInput next(List<ObjectNode> transcript, AgentState carried) {
    return new AgentInput(model, transcript, tools, limits, caller, modelPolicy, carried, continueAfterEvents);
  }
}
