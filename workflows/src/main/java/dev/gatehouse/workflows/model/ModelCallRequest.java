package dev.gatehouse.workflows.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.tool.Caller;

/**
 * Input of {@link ModelActivities#call}: which step asks which model (its alias), with which
 * request, on whose behalf. {@code body} is an OpenAI chat-completions request ({@code model},
 * {@code messages}, and optional members such as {@code max_tokens} or {@code temperature}),
 * already filled from the step's templates; it is sent as it is, never streamed. The task is the
 * workflow that schedules the activity. The model's definition and the caller's permissions are
 * looked up when the activity runs, so a retried attempt uses the registry as it is then.
 * {@code budget}, when set, is what the task may still spend on this call (see {@link
 * ModelBudget}); null (a pipeline's model step) does not bound it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelCallRequest(String stepId, String model, ObjectNode body, Caller caller, ModelBudget budget) {
  public ModelCallRequest(String stepId, String model, ObjectNode body, Caller caller) {
    this(stepId, model, body, caller, null);
  }
}
