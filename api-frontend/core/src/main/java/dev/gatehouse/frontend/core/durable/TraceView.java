package dev.gatehouse.frontend.core.durable;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.model.EarlierAttempts;
import dev.gatehouse.workflows.model.ModelCallUsage;
import dev.gatehouse.workflows.tool.StoredResult;
import java.util.List;

/**
 * {@code GET /v1/tasks/{id}/trace}: the steps of a task, from its workflow history; {@code source}
 * says where the history was read: {@code engine} (Temporal), or {@code archive} (Gatehouse's copy
 * in PostgreSQL, once the engine no longer has it).
 */
public record TraceView(String id, String workflow, String status, List<Step> steps, String source) {

  /**
   * One step. {@code kind} is {@code tool}, {@code model} or {@code activity}. {@code attempts}
   * counts the attempts made so far (0 while the first has not started; null for a step canceled
   * before the history recorded any of its attempts, which it may have made: the engine writes an
   * attempt's start only when the attempt ends, and the step's audit rows count them); {@code startedAt} is when
   * the step was scheduled and {@code endedAt} when it closed. {@code lastAttemptMs}: how long the
   * attempt that ended the step ran, from its start to {@code endedAt} (absent when no attempt
   * started); the rest of {@code durationMs} the step waited for a worker to take it, and in
   * earlier attempts and the backoff between them. A model step's {@code input} is the
   * request it sent and its {@code output} the assistant's message; {@code model} says who
   * answered and what it cost (absent on other steps, and on a model step that has not answered).
   * {@code approval}: for a tool call of an agent task that needed an operator's decision, the
   * decision (or that it is pending or expired); a call that was denied or whose approval expired
   * is a step with status {@code NOT_RUN}. {@code stored}: for a tool call of an agent task whose
   * result was stored outside the history, the reference ({@code id}, {@code chars}, {@code
   * preview}); its {@code output} is then null, and {@code GET /v1/tasks/{id}/results/{resultId}}
   * reads the result. {@code policies}: what policy entries did to a tool or model call that went
   * on ({@code guard@2 redacted EXFIL_LINK×1 in tool-results}: kinds and counts, never values);
   * absent when none did. A call an entry refused is a failed step whose error names it.
   */
  public record Step(
      String id,
      String kind,
      String name,
      String status,
      Integer attempts,
      String startedAt,
      String endedAt,
      Long durationMs,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long lastAttemptMs,
      JsonNode input,
      JsonNode output,
      TaskError error,
      @JsonInclude(JsonInclude.Include.NON_NULL) ModelCall model,
      @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode approval,
      @JsonInclude(JsonInclude.Include.NON_NULL) StoredResult stored,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<String> policies) {


  }

  /**
   * How a model step was answered: which provider and provider model, why the model stopped, the
   * tokens (input, cached input, output, reasoning; {@code estimated} when Gatehouse counted them),
   * their cost (a decimal as text, from the registry's prices; absent without prices) and how long
   * the call took, fallbacks included; and what the provider billed for the step's earlier
   * attempts, which failed all the same (absent when none was billed).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ModelCall(
      String provider,
      String providerModel,
      String finishReason,
      ModelCallUsage usage,
      String cost,
      long latencyMs,
      EarlierAttempts earlierAttempts) {}
}
