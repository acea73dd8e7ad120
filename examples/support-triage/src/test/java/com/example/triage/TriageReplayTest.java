package com.example.triage;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Replays the committed history of an approved triage against the current code: a change to the
 * workflow that would break the triages already running fails here, before it is deployed. When
 * the workflow changes on purpose, copy {@code target/recorded-histories/support-triage.json}
 * (written by {@link TriageWorkflowTest}) over the committed file.
 */
class TriageReplayTest {
  @Test
  void theRecordedTriageReplaysAgainstTheCurrentCode() throws Exception {
    String json;
    try (InputStream in = TriageReplayTest.class.getResourceAsStream("/histories/support-triage.json")) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    WorkflowExecutionHistory history = WorkflowExecutionHistory.fromJson(json);
    assertTrue(json.contains("\"decideApproval\""), "the history holds the operator's decision");
    WorkflowReplayer.replayWorkflowExecution(history, TriageWorkflowImpl.class);
  }
}
