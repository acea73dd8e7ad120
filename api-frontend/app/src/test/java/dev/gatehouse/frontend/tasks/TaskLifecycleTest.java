package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.durable.TaskSweeper;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tasks.TaskRecord;
import dev.gatehouse.registry.tasks.TaskStatus;
import io.dropwizard.util.Duration;
import io.prometheus.client.CollectorRegistry;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What ends a task besides its workflow's own code, end to end: a run timeout the task index
 * learns of without anyone reading the task, and a pipeline refused at submit because its
 * templates would grow past the expansion limits.
 */
class TaskLifecycleTest {
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    // The application's own sweeper runs once at start and then not within the test, so each test
    // shows which path (a listing, or a sweep) settled the row.
    gh = TestGatehouse.start(c -> c.getTasks().setSweepInterval(Duration.hours(1)));
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  private static String holdingTask(String name, String timeout) {
    return gh.submit(
        "{\"workflow\":\"pipeline\",\"timeout\":\"" + timeout + "\",\"pipeline\":{\"steps\":[{\"id\":\"h\",\"tool\":\"t.hold\",\"args\":{\"name\":\""
            + name + "\"}}]}}");
  }

  @Test
  void aListingShowsATimedOutTaskAsItEndedWithoutAnyoneReadingIt() {
    String id = holdingTask("list-timeout", "1s");
    Instant closed = awaitEngineClose(id);
    try {
      assertThat(json(gh.get("/v1/tasks?status=RUNNING", KEY_A)).get("tasks").toString()).doesNotContain(id);
      JsonNode listed = find(json(gh.get("/v1/tasks?status=TIMED_OUT", KEY_A)).get("tasks"), id);
      assertThat(listed).as("listed as TIMED_OUT").isNotNull();
      // The engine's close time, not the time of this listing.
      assertThat(Instant.parse(listed.get("closedAt").asText())).isEqualTo(closed);
    } finally {
      gh.tools.release("list-timeout");
    }
  }

  /** A probe's cancels of a task whose timeout had passed were answered 202 and audited as cancels. */
  @Test
  void cancellingATaskThatTimedOutIs409TaskClosed() {
    String id = holdingTask("cancel-timeout", "1s");
    awaitEngineClose(id);
    try {
      var r = gh.post("/v1/tasks/" + id + "/cancel", KEY_A, "");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
      assertThat(json(r).at("/error/code").asText()).isEqualTo("task_closed");
      assertThat(json(r).at("/error/message").asText()).contains("TIMED_OUT");
      assertThat(json(gh.get("/v1/tasks/" + id, KEY_A)).get("status").asText()).isEqualTo("TIMED_OUT");
    } finally {
      gh.tools.release("cancel-timeout");
    }
  }

  @Test
  void theSweeperRecordsATimedOutTaskWithItsRealCloseTime() {
    String id = holdingTask("sweep-timeout", "1s");
    Instant closed = awaitEngineClose(id);
    try {
      TaskIndexDao index = gh.db.jdbi().onDemand(TaskIndexDao.class);
      assertThat(index.find(id).orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
      assertThat(sweeper().sweep()).isGreaterThanOrEqualTo(1);
      TaskRecord row = index.find(id).orElseThrow();
      assertThat(row.status()).isEqualTo(TaskStatus.TIMED_OUT);
      assertThat(row.errorCode()).isEqualTo("timed_out");
      assertThat(row.closedAt()).isEqualTo(closed);
    } finally {
      gh.tools.release("sweep-timeout");
    }
  }

  @Test
  void aPipelineWhoseTemplatesWouldExpandPastTheLimitIsRefusedAtSubmit() {
    // The probe's case: a 400 KB input string read 30 times (12 MB once filled), in a body under 512 KiB.
    StringBuilder args = new StringBuilder("{");
    for (int i = 0; i < 30; i++) {
      args.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":\"${input.blob}\"");
    }
    String body =
        "{\"workflow\":\"pipeline\",\"input\":{\"blob\":\"" + "b".repeat(400_000) + "\"},"
            + "\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"t.echo\",\"args\":" + args.append("}") + "}]}}";
    int before = json(gh.get("/v1/tasks?limit=200", KEY_A)).get("tasks").size();
    HttpResponse<String> r = gh.post("/v1/tasks", KEY_A, body);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").get("code").asText()).isEqualTo("expansion_too_large");
    assertThat(json(r).get("error").get("message").asText()).contains("step 's'").contains("262144");
    assertThat(json(gh.get("/v1/tasks?limit=200", KEY_A)).get("tasks").size()).isEqualTo(before);
  }

  @Test
  void cancellingATaskInterruptsTheToolCallItIsWaitingFor() throws Exception {
    String id =
        gh.submit("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"slow\",\"tool\":\"t.trickle\",\"args\":{\"name\":\"cancel-trickle\"}}]}}");
    assertThat(gh.tools.arrived("cancel-trickle").await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(gh.post("/v1/tasks/" + id + "/cancel", KEY_A, "").statusCode()).isEqualTo(202);
    assertThat(gh.await(id).get("status").asText()).isEqualTo("CANCELED");
    // The upstream answers for a minute unless its caller goes: the activity heard of the
    // cancellation at a heartbeat and aborted the call.
    assertThat(gh.tools.disconnected("cancel-trickle").await(20, TimeUnit.SECONDS)).isTrue();
  }

  /** tasks.retention: a task that ended longer ago is gone, its history with it; a newer one stays. */
  @Test
  void theSweeperDeletesTasksThatEndedBeforeTheRetentionWithTheirHistories() throws Exception {
    String step = "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"t.echo\",\"args\":{\"x\":1}}]}}";
    String old = gh.submit(step);
    String recent = gh.submit(step);
    assertThat(gh.await(old).get("status").asText()).isEqualTo("COMPLETED");
    assertThat(gh.await(recent).get("status").asText()).isEqualTo("COMPLETED");
    durable().archive().archivePending(100);
    gh.db.jdbi().useHandle(h -> h.execute("UPDATE tasks SET closed_at = now() - interval '3 days' WHERE id = ?", old));
    assertThat(histories(old)).as("archived before").isEqualTo(1);

    TaskSweeper sweeper = sweeper().keepingTasksFor(java.time.Duration.ofDays(2));
    sweeper.sweep();

    assertThat(gh.get("/v1/tasks/" + old, KEY_A).statusCode()).isEqualTo(404);
    assertThat(gh.get("/v1/tasks/" + old + "/trace", KEY_A).statusCode()).isEqualTo(404);
    assertThat(histories(old)).isZero();
    assertThat(gh.get("/v1/tasks/" + recent, KEY_A).statusCode()).isEqualTo(200);
    // without a retention, nothing is deleted
    gh.db.jdbi().useHandle(h -> h.execute("UPDATE tasks SET closed_at = now() - interval '3 days' WHERE id = ?", recent));
    sweeper().sweep();
    assertThat(gh.get("/v1/tasks/" + recent, KEY_A).statusCode()).isEqualTo(200);
  }

  /** How many archived histories task {@code id} has. */
  private static int histories(String id) {
    Integer n = gh.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM task_histories WHERE task_id = :t").bind("t", id)
        .mapTo(Integer.class).one());
    return n;
  }

  private static DurableCalls durable() {
    WorkflowClient client = gh.application().temporal().client();
    GatehouseMetrics metrics = new GatehouseMetrics(new CollectorRegistry());
    return new DurableCalls(
        gh.db.jdbi(), client, gh.config.getTemporal().getTaskQueue(), metrics, gh.application().audit(),
        new Admission(gh.db.jdbi(), gh.config.getAdmission().limits(), metrics));
  }

  private static TaskSweeper sweeper() {
    return new TaskSweeper(gh.db.jdbi(), durable(), java.time.Duration.ofSeconds(1), java.time.Duration.ofHours(1));
  }

  /** Waits, asking the engine and not Gatehouse, until the workflow has closed; its close time. */
  static Instant awaitEngineClose(String id) {
    return awaitEngineClose(gh, id);
  }

  /** Waits, asking {@code gh}'s engine, until the workflow has closed; its close time. */
  static Instant awaitEngineClose(TestGatehouse gh, String id) {
    WorkflowClient client = gh.application().temporal().client();
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      WorkflowExecutionDescription d = client.newUntypedWorkflowStub(id).describe();
      if (d.getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        var t = d.getRawDescription().getWorkflowExecutionInfo().getCloseTime();
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("task " + id + " did not close in the engine");
  }

  private static JsonNode find(JsonNode tasks, String id) {
    for (JsonNode t : tasks) {
      if (t.get("id").asText().equals(id)) {
        return t;
      }
    }
    return null;
  }
}
