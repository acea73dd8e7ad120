package dev.gatehouse.frontend.core.durable;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.util.JsonFormat;
import io.temporal.api.history.v1.History;
import io.temporal.common.converter.DefaultDataConverter;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A completed task's result is read from its archived history once the engine has let the task go
 * (its retention passed, or dev mode restarted): a probe's GET of such a task said "result": null,
 * though its history, result and all, was archived.
 */
class TaskOutcomesArchiveTest {
  private static List<io.temporal.api.history.v1.HistoryEvent> recorded() throws Exception {
    try (InputStream in = TaskOutcomesArchiveTest.class.getClassLoader().getResourceAsStream("histories/pipeline-model-step.json")) {
      History.Builder history = History.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(new String(in.readAllBytes(), StandardCharsets.UTF_8), history);
      return history.getEventsList();
    }
  }

  @Test
  void theResultIsTheLastRunsCompletion() throws Exception {
    List<io.temporal.api.history.v1.HistoryEvent> events = recorded();
    JsonNode result =
        TaskOutcomes.archivedResult(List.of(new HistoryArchive.Run("r1", events)), DefaultDataConverter.STANDARD_INSTANCE).orElseThrow();
    assertThat(result.fieldNames()).toIterable().contains("fetch", "summary", "save");
    assertThat(result.at("/summary/content").asText()).isEqualTo("answered on attempt 3");

    // A run that did not complete (cut before its end) has none.
    assertThat(TaskOutcomes.archivedResult(List.of(new HistoryArchive.Run("r1", events.subList(0, 5))), DefaultDataConverter.STANDARD_INSTANCE))
        .isEmpty();
    assertThat(TaskOutcomes.archivedResult(List.of(), DefaultDataConverter.STANDARD_INSTANCE)).isEmpty();
  }
}
