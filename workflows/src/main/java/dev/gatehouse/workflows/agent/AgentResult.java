package dev.gatehouse.workflows.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an agent task returns.
 *
 * @param content the text of the model's last answer (null when it had none)
 * @param message the model's last message, in the OpenAI format (null when no call answered)
 * @param stopReason why the loop stopped: {@code completed}, {@code max_steps}, {@code budget} or
 *     {@code deadline}
 * @param steps the model calls made
 * @param toolCalls the tool calls asked for (run or refused)
 * @param usage tokens and cost of every model call together
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentResult(
    String content, ObjectNode message, String stopReason, int steps, int toolCalls, AgentUsage usage) {}
