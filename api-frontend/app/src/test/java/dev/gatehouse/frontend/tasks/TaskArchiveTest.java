package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.util.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Traces that outlive the engine: a task's history is archived in PostgreSQL when it ends, so
 * after a dev restart (whose embedded engine loses every workflow) its trace and its events are
 * read from the archive, every run of a loop that continued as new included.
 */
class TaskArchiveTest {

  private static List<String> stepSummary(JsonNode trace) {
    List<String> out = new ArrayList<>();
    trace.get("steps").forEach(s -> out.add(s.get("id").asText() + " " + s.get("status").asText()));
    return out;
  }

  private static Map<String, Object> archived(TestGatehouse gh, String id) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      var row = gh.db.jdbi().withHandle(h ->
          h.createQuery("SELECT runs, events, bytes, history IS NOT NULL AS kept FROM task_histories WHERE task_id = :id")
              .bind("id", id).mapToMap().findOne());
      if (row.isPresent()) {
        return row.get();
      }
      Thread.sleep(50);
    }
    throw new AssertionError("task " + id + " was never archived");
  }

  @Test
  void aRestartedDevEngineLosesTheWorkflowsButNotTheirTracesOrEvents() throws Exception {
    try (FakeProvider fake = new FakeProvider();
        TestGatehouse gh = TestGatehouse.start(c -> c.getTasks().setSweepInterval(Duration.milliseconds(100)))) {
      gh.fakeModel("ar-model", fake.openaiBase());

      String pipeline =
          gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.echo\",\"args\":{}},"
              + "{\"id\":\"b\",\"tool\":\"t.echo\",\"args\":{},\"dependsOn\":[\"a\"]}]}}");
      assertThat(gh.await(pipeline).get("status").asText()).isEqualTo("COMPLETED");
      // An agent loop long enough to continue as new: its archive holds both runs.
      fake.script(Reply.toolCall("c", "t_echo", "{\"more\":true}"));
      int maxSteps = 90;
      String agent =
          gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ar-model\",\"goal\":\"go\",\"tools\":[\"t.echo\"],"
              + "\"limits\":{\"maxSteps\":" + maxSteps + ",\"maxOutputTokens\":50}}}");
      assertThat(gh.await(agent).get("result").get("stopReason").asText()).isEqualTo("max_steps");

      JsonNode before = json(gh.get("/v1/tasks/" + pipeline + "/trace", KEY_A));
      assertThat(before.get("source").asText()).isEqualTo("engine");
      Map<String, Object> row = archived(gh, pipeline);
      assertThat(row.get("kept")).isEqualTo(true);
      assertThat(((Number) row.get("runs")).intValue()).isEqualTo(1);
      Map<String, Object> loop = archived(gh, agent);
      assertThat(((Number) loop.get("runs")).intValue()).isGreaterThan(1);
      List<TaskEventsTest.Sse> eventsBefore;
      try (TaskEventsTest.Stream s = TaskEventsTest.open(gh, KEY_A, pipeline, null)) {
        eventsBefore = s.rest();
      }

      gh.restart(c -> {});

      // The list says which tasks' histories are archived.
      List<String> archivedInList = new ArrayList<>();
      for (JsonNode t : json(gh.get("/v1/tasks?limit=200", KEY_A)).get("tasks")) {
        if (t.get("archived").asBoolean()) {
          archivedInList.add(t.get("id").asText());
        }
      }
      assertThat(archivedInList).contains(pipeline, agent);
      JsonNode after = json(gh.get("/v1/tasks/" + pipeline + "/trace", KEY_A));
      assertThat(after.get("source").asText()).isEqualTo("archive");
      assertThat(stepSummary(after)).isEqualTo(stepSummary(before)).containsExactly("a COMPLETED", "b COMPLETED");
      assertThat(after.get("steps").get(0).get("output")).isEqualTo(before.get("steps").get(0).get("output"));
      try (TaskEventsTest.Stream s = TaskEventsTest.open(gh, KEY_A, pipeline, null)) {
        assertThat(s.rest()).isEqualTo(eventsBefore);
      }
      try (TaskEventsTest.Stream s = TaskEventsTest.open(gh, KEY_A, pipeline, eventsBefore.get(1).id())) {
        assertThat(s.rest()).isEqualTo(eventsBefore.subList(2, eventsBefore.size()));
      }

      JsonNode loopTrace = json(gh.get("/v1/tasks/" + agent + "/trace", KEY_A));
      assertThat(loopTrace.get("source").asText()).isEqualTo("archive");
      long modelSteps = 0;
      for (JsonNode s : loopTrace.get("steps")) {
        modelSteps += s.get("kind").asText().equals("model") ? 1 : 0;
      }
      assertThat(modelSteps).as("every run's model steps").isEqualTo(maxSteps);
      // Another agent still sees no such task.
      assertThat(gh.get("/v1/tasks/" + pipeline + "/trace", TestGatehouse.KEY_B).statusCode()).isEqualTo(404);
    }
  }
}
