package dev.gatehouse.workflows.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.workflows.tool.Caller;

/**
 * Input of {@link ModelActivities#call}: which step asks which model (its alias), with which
 * request, on whose behalf. {@code body} is an OpenAI chat-completions request ({@code model},
 * {@code messages}, and optional members such as {@code max_tokens} or {@code temperature}),
 * already filled from the step's templates; it is sent as it is, never streamed. The task is the
 * workflow that schedules the activity. The model's definition and the caller's permissions are
 * looked up when the activity runs, so a retried attempt uses the registry as it is then.
 */
public record ModelCallRequest(String stepId, String model, ObjectNode body, Caller caller) {}
