package dev.gatehouse.workflows.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** A deliberately non-deterministic change (a timer before the first step) for the replay test. */
public class TimerAddedPipelineWorkflow extends PipelineWorkflowImpl {
  @Override
  public JsonNode run(PipelineInput in) {
    Workflow.sleep(Duration.ofMillis(1));
    return super.run(in);
  }
}
