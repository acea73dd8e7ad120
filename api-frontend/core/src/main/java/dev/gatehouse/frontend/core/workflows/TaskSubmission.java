package dev.gatehouse.frontend.core.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.pipeline.PipelineDefinition;

/** The body of {@code POST /v1/tasks}. */
public record TaskSubmission(String workflow, JsonNode input, PipelineDefinition pipeline, String timeout) {}
