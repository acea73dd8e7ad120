package dev.gatehouse.frontend.core.durable;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** {@code GET /v1/tasks/{id}/trace}: the steps of a task, from its workflow history. */
public record TraceView(String id, String workflow, String status, List<Step> steps) {

  /**
   * One step. {@code attempts} counts the attempts made so far (0 while the first has not
   * started); {@code startedAt} is when the step was scheduled and {@code endedAt} when it closed.
   */
  public record Step(
      String id,
      String kind,
      String name,
      String status,
      int attempts,
      String startedAt,
      String endedAt,
      Long durationMs,
      JsonNode input,
      JsonNode output,
      TaskError error) {}
}
