package com.example.triage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.spi.TaskInput;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Triage of one support ticket: read the ticket, look up the knowledge base, ask a model to
 * classify it, and file it in the right queue — the filing waits for an operator's approval.
 * Agents start it with {@code POST /v1/tasks {"workflow": "support-triage", "input": {"ticketId":
 * "T-1001"}}}.
 */
@WorkflowInterface
public interface TriageWorkflow {
  String NAME = "support-triage";

  /**
   * The result: {@code ticketId}, {@code category}, {@code priority}, {@code summary}, {@code
   * classifiedBy} ({@code model}, or {@code fallback} when the model's answer was not the JSON
   * asked for), {@code articles} (the knowledge-base ids cited), and {@code filed}: the new
   * ticket's id, or null with {@code status} {@code denied} or {@code expired} when the operator
   * denied the filing or nobody decided in time.
   */
  @WorkflowMethod(name = NAME)
  JsonNode triage(TaskInput task);
}
