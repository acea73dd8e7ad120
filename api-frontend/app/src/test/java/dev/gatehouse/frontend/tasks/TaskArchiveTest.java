package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.util.Duration;
import io.prometheus.client.CollectorRegistry;
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
      JsonNode done = gh.await(pipeline);
      assertThat(done.get("status").asText()).isEqualTo("COMPLETED");
      JsonNode resultBefore = done.get("result");
      assertThat(resultBefore.has("b")).isTrue();
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
      // A completed task's result outlives the engine too (it read "result": null).
      JsonNode view = json(gh.get("/v1/tasks/" + pipeline, KEY_A));
      assertThat(view.get("status").asText()).isEqualTo("COMPLETED");
      assertThat(view.get("result")).isEqualTo(resultBefore);
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

  @Test
  void onePassArchivesEveryTaskThatEndedBatchAfterBatch() throws Exception {
    // No sweep but the one at start: the pass below is the only one that archives these tasks.
    try (TestGatehouse gh = TestGatehouse.start(c -> c.getTasks().setSweepInterval(Duration.hours(1)))) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        ids.add(gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.echo\",\"args\":{}}]}}"));
      }
      for (String id : ids) {
        assertThat(gh.await(id).get("status").asText()).isEqualTo("COMPLETED");
      }
      DurableCalls durable = durable(gh);
      int before = archivedAmong(gh, ids);

      int archived = durable.archive().archivePending(2, java.time.Duration.ofMinutes(1));

      // Seven tasks in batches of two: one pass takes four batches, not one.
      assertThat(archivedAmong(gh, ids)).isEqualTo(ids.size());
      assertThat(archived).isGreaterThanOrEqualTo(ids.size() - before);
      assertThat(ids.size() - before).as("tasks left for the pass").isGreaterThan(2);
      assertThat(durable.archive().archivePending(2, java.time.Duration.ofMinutes(1))).as("nothing left").isZero();
    }
  }

  @Test
  void theDevEngineKeepsAClosedWorkflowUntilItsHistoryIsArchived() throws Exception {
    // The engine's retention keeps only the newest closed workflow; no archiving but the pass below.
    try (TestGatehouse gh =
        TestGatehouse.start(c -> {
          c.getTasks().setSweepInterval(Duration.hours(1));
          c.getTemporal().setEmbeddedClosedWorkflows(1);
        })) {
      var engine = gh.application().embeddedEngine();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String id = endedPipeline(gh);
        ids.add(id);
      }
      assertThat(archivedAmong(gh, ids)).isZero();

      assertThat(engine.sweep()).as("none archived: none dropped").isZero();
      assertThat(json(gh.get("/v1/tasks/" + ids.get(0) + "/trace", KEY_A)).get("source").asText()).isEqualTo("engine");

      CollectorRegistry registry = new CollectorRegistry();
      DurableCalls durable = durable(gh, new GatehouseMetrics(registry));
      assertThat(durable.archive().archivePending(10)).isEqualTo(3);
      assertThat(archivedCount(registry, "kept")).isEqualTo(3);
      assertThat(engine.sweep()).as("archived: all but the newest dropped").isEqualTo(2);
      JsonNode trace = json(gh.get("/v1/tasks/" + ids.get(0) + "/trace", KEY_A));
      assertThat(trace.get("source").asText()).isEqualTo("archive");
      assertThat(stepSummary(trace)).containsExactly("a COMPLETED");
      assertThat(json(gh.get("/v1/tasks/" + ids.get(2) + "/trace", KEY_A)).get("source").asText()).isEqualTo("engine");

      // What the engine lets go unarchived (here: nothing held) is recorded lost, and counted.
      engine.hold(workflowIds -> List.of());
      String lost = endedPipeline(gh);
      String newest = endedPipeline(gh);
      assertThat(engine.sweep()).isEqualTo(2);
      assertThat(durable.archive().archivePending(10)).isEqualTo(2);
      assertThat(archivedCount(registry, "kept")).isEqualTo(4);
      assertThat(archivedCount(registry, "lost")).isEqualTo(1);
      var unavailable = gh.get("/v1/tasks/" + lost + "/trace", KEY_A);
      assertThat(unavailable.statusCode()).isEqualTo(404);
      assertThat(json(unavailable).get("error").get("code").asText()).isEqualTo("history_unavailable");
    }
  }

  private static double archivedCount(CollectorRegistry registry, String outcome) {
    Double v = registry.getSampleValue("gatehouse_task_histories_archived_total", new String[] {"outcome"}, new String[] {outcome});
    return v == null ? 0 : v;
  }

  @Test
  void aTaskTheIndexCallsEndedIsArchivedOnlyOnceTheEngineHasClosedIt() throws Exception {
    try (TestGatehouse gh = TestGatehouse.start(c -> c.getTasks().setSweepInterval(Duration.hours(1)))) {
      String id =
          gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\"archive-early\"}}]}}");
      try {
        assertThat(gh.tools.arrived("archive-early").await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        // What the index says a moment before the workflow completes.
        gh.db.jdbi().useHandle(h ->
            h.execute("UPDATE tasks SET status = 'COMPLETED', closed_at = now() WHERE id = ?", id));
        DurableCalls durable = durable(gh);

        assertThat(durable.archive().archivePending(10, java.time.Duration.ofMinutes(1))).isZero();
        assertThat(archivedAmong(gh, List.of(id))).as("not archived while the workflow runs").isZero();
        assertThat(claimed(gh, id)).as("its claim given back, for the next pass to take").isFalse();
      } finally {
        gh.tools.release("archive-early");
      }
      TaskLifecycleTest.awaitEngineClose(gh, id);
      DurableCalls durable = durable(gh);
      assertThat(durable.archive().archivePending(10, java.time.Duration.ofMinutes(1))).isEqualTo(1);
      var events = durable.archive().load(id).orElseThrow().get(0).events();
      assertThat(events.get(events.size() - 1).getEventType())
          .as("the archived history ends with the close")
          .isEqualTo(io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    }
  }

  @Test
  void aTaskAnotherReplicaHasClaimedIsLeftToItUntilItsLeaseRunsOut() throws Exception {
    try (TestGatehouse gh = TestGatehouse.start(c -> c.getTasks().setSweepInterval(Duration.hours(1)))) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String id = endedPipeline(gh);
        ids.add(id);
      }
      String theirs = ids.get(1);
      // Another replica's archiver took this one a moment ago.
      gh.db.jdbi().useHandle(h -> h.execute("UPDATE tasks SET history_claimed_until = now() + interval '1 hour' WHERE id = ?", theirs));
      DurableCalls durable = durable(gh);

      assertThat(durable.archive().archivePending(10, java.time.Duration.ofMinutes(1))).isEqualTo(2);
      assertThat(archivedAmong(gh, List.of(theirs))).as("left to the replica that claimed it").isZero();
      assertThat(claimed(gh, theirs)).as("its claim is not this replica's to give back").isTrue();

      // That replica died before archiving it: once its lease runs out, this one takes the task.
      gh.db.jdbi().useHandle(h -> h.execute("UPDATE tasks SET history_claimed_until = now() - interval '1 second' WHERE id = ?", theirs));
      assertThat(durable.archive().archivePending(10, java.time.Duration.ofMinutes(1))).isEqualTo(1);
      assertThat(archivedAmong(gh, ids)).isEqualTo(3);
    }
  }

  @Test
  void archivingATaskThatRanOnceAsksTheEngineTwice() throws Exception {
    try (TestGatehouse gh = TestGatehouse.start(c -> c.getTasks().setSweepInterval(Duration.hours(1)))) {
      String id = endedPipeline(gh);
      List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
      io.grpc.ClientInterceptor counting = new io.grpc.ClientInterceptor() {
        @Override
        public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(
            io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options, io.grpc.Channel next) {
          calls.add(method.getBareMethodName());
          return next.newCall(method, options);
        }
      };
      var stubs = io.temporal.serviceclient.WorkflowServiceStubs.newServiceStubs(
          io.temporal.serviceclient.WorkflowServiceStubsOptions.newBuilder()
              .setChannel(gh.application().embeddedEngine().channel())
              .setGrpcClientInterceptors(List.of(counting))
              .build());
      try {
        var client = io.temporal.client.WorkflowClient.newInstance(stubs, gh.application().temporal().client().getOptions());
        DurableCalls durable = durable(gh, new GatehouseMetrics(new CollectorRegistry()), client);
        calls.clear();

        assertThat(durable.archive().archivePending(10)).isEqualTo(1);

        // Its description (which names the first run) and that run's history, nothing else per
        // task. New stubs also ask the engine what it supports, once.
        assertThat(calls).filteredOn(m -> !m.equals("GetSystemInfo")).containsExactly("DescribeWorkflowExecution", "GetWorkflowExecutionHistory");
        var events = durable.archive().load(id).orElseThrow().get(0).events();
        assertThat(events.get(events.size() - 1).getEventType())
            .isEqualTo(io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
      } finally {
        stubs.shutdownNow();
      }
    }
  }

  /** A one-step pipeline that completed and whose workflow the engine has closed. */
  private static String endedPipeline(TestGatehouse gh) throws Exception {
    String id = gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.echo\",\"args\":{}}]}}");
    assertThat(gh.await(id).get("status").asText()).isEqualTo("COMPLETED");
    TaskLifecycleTest.awaitEngineClose(gh, id);
    return id;
  }

  /** Whether a claim on task {@code id} has not run out. */
  private static boolean claimed(TestGatehouse gh, String id) {
    return gh.db.jdbi().withHandle(h ->
        h.createQuery("SELECT coalesce(history_claimed_until > now(), false) FROM tasks WHERE id = :id").bind("id", id).mapTo(Boolean.class).one());
  }

  private static DurableCalls durable(TestGatehouse gh) {
    return durable(gh, new GatehouseMetrics(new CollectorRegistry()));
  }

  private static DurableCalls durable(TestGatehouse gh, GatehouseMetrics metrics) {
    return durable(gh, metrics, gh.application().temporal().client());
  }

  private static DurableCalls durable(TestGatehouse gh, GatehouseMetrics metrics, io.temporal.client.WorkflowClient client) {
    return new DurableCalls(
        gh.db.jdbi(), client, gh.config.getTemporal().getTaskQueue(),
        metrics, gh.application().audit(),
        new Admission(gh.db.jdbi(), gh.config.getAdmission().limits(), new GatehouseMetrics(new CollectorRegistry())));
  }

  private static int archivedAmong(TestGatehouse gh, List<String> ids) {
    return gh.db.jdbi().withHandle(h ->
        h.createQuery("SELECT count(*) FROM task_histories WHERE task_id IN (<ids>)").bindList("ids", ids).mapTo(Integer.class).one());
  }
}
