package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.app.temporal.EmbeddedTemporal;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.tasks.TaskIndexDao;
import dev.gatehouse.registry.tasks.TaskStatus;
import dev.gatehouse.workflows.pipeline.PipelineInput;
import dev.gatehouse.workflows.pipeline.PipelineWorkflow;
import io.dropwizard.util.Duration;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import java.net.http.HttpResponse;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A task whose workflow can never process its cancel request (its workflow task always fails)
 * still ends CANCELED when it is cancelled, also when the front end restarts in between. The
 * engine is the test's own, so the workflows outlive a restart of the application.
 */
class UnprocessableCancelTest {
  private static final String PIPELINE =
      "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"t.echo\",\"args\":{}}]}}";

  static EmbeddedTemporal engine;
  static WorkflowServiceStubs stubs;
  static WorkerFactory poisonWorker;
  static TestGatehouse gh;

  /** Stands in for any workflow that cannot make progress: every workflow task throws. */
  public static class PoisonPipeline implements PipelineWorkflow {
    @Override
    public JsonNode run(PipelineInput input) {
      throw new Error("poison: this workflow task always fails");
    }
  }

  @BeforeAll
  static void start() throws Exception {
    engine = EmbeddedTemporal.start("127.0.0.1", 0);
    String target = "127.0.0.1:" + engine.port();
    gh =
        TestGatehouse.start(
            c -> {
              c.getTemporal().setEmbedded(false);
              c.getTemporal().setTarget(target);
              c.getWorker().setEnabled(false);
              c.getTasks().setCancelGrace(Duration.seconds(1));
              c.getTasks().setSweepInterval(Duration.milliseconds(200));
            });
    stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
    poisonWorker = WorkerFactory.newInstance(WorkflowClient.newInstance(stubs));
    poisonWorker.newWorker(gh.config.getTemporal().getTaskQueue()).registerWorkflowImplementationTypes(PoisonPipeline.class);
    poisonWorker.start();
  }

  @AfterAll
  static void stop() {
    try {
      gh.close();
    } finally {
      poisonWorker.shutdownNow();
      stubs.shutdownNow();
      engine.close();
    }
  }

  @Test
  void cancelEndsATaskWhoseWorkflowCannotProcessIt() {
    String id = gh.submit(PIPELINE);
    awaitWorkflowTaskFailure(id);
    HttpResponse<String> cancel = gh.post("/v1/tasks/" + id + "/cancel", KEY_A, "");
    assertThat(cancel.statusCode()).isEqualTo(202);

    JsonNode task = pollUntil(id, t -> !t.path("status").asText().equals("RUNNING"));
    assertThat(task.get("status").asText()).isEqualTo("CANCELED");
    assertThat(task.get("error").get("code").asText()).isEqualTo("canceled");
    assertThat(task.get("closedAt").asText()).isNotBlank();
    var row = gh.db.jdbi().onDemand(TaskIndexDao.class).find(id).orElseThrow();
    assertThat(row.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(json(gh.get("/v1/tasks?status=CANCELED", KEY_A)).get("tasks").toString()).contains(id);
    assertThat(json(gh.get("/v1/tasks?status=RUNNING", KEY_A)).get("tasks").toString()).doesNotContain(id);
  }

  @Test
  void aCancelRequestedBeforeARestartIsCarriedOutAfterIt() throws Exception {
    gh.restart(c -> c.getTasks().setCancelGrace(Duration.hours(1)));
    String id = gh.submit(PIPELINE);
    awaitWorkflowTaskFailure(id);
    assertThat(gh.post("/v1/tasks/" + id + "/cancel", KEY_A, "").statusCode()).isEqualTo(202);
    // With an hour of grace this process leaves it running; the request is in the task index.
    assertThat(json(gh.get("/v1/tasks/" + id, KEY_A)).get("status").asText()).isEqualTo("RUNNING");

    gh.restart(c -> c.getTasks().setCancelGrace(Duration.seconds(1)));
    JsonNode task = pollUntil(id, t -> !t.path("status").asText().equals("RUNNING"));
    assertThat(task.get("status").asText()).isEqualTo("CANCELED");
  }

  /** Waits until the engine has seen the workflow task fail: the task cannot process anything. */
  private static void awaitWorkflowTaskFailure(String id) {
    WorkflowClient client = WorkflowClient.newInstance(stubs);
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      boolean failed =
          client.fetchHistory(id).getEvents().stream()
              .anyMatch(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      if (failed) {
        return;
      }
      sleep(100);
    }
    throw new AssertionError("the poison workflow task never failed");
  }

  private static JsonNode pollUntil(String id, Predicate<JsonNode> done) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    JsonNode task;
    do {
      task = json(gh.get("/v1/tasks/" + id, KEY_A));
      if (done.test(task)) {
        return task;
      }
      sleep(200);
    } while (System.nanoTime() < deadline);
    return task;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
