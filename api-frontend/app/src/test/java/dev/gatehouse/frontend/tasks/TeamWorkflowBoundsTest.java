package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.workflows.spi.GatehouseWorkflow;
import dev.gatehouse.workflows.spi.TaskInput;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What bounds a team's workflow however it is written, on a real Gatehouse: the task's timeout
 * holds across continue-as-new, a child workflow ends with its task (even one started to be
 * abandoned), and an error in its {@code validate} is a 400. The workflows are this test's own,
 * deployed from a jar listed in {@code workflows.jars} as a team's would be.
 */
class TeamWorkflowBoundsTest {
  @TempDir static Path dir;
  static TestGatehouse gh;

  @WorkflowInterface
  public interface Forever {
    @WorkflowMethod(name = "team.forever")
    String run(TaskInput input);
  }

  /** Sleeps a little and continues as new, for ever: only the task's timeout or a cancel ends it. */
  public static class ForeverImpl implements Forever {
    @Override
    public String run(TaskInput input) {
      Workflow.sleep(Duration.ofMillis(200));
      Workflow.continueAsNew(input);
      return "unreachable";
    }
  }

  @WorkflowInterface
  public interface Abandoning {
    @WorkflowMethod(name = "team.abandoning")
    String run(TaskInput input);
  }

  /** Starts a child meant to be abandoned (it sleeps for an hour) and finishes at once. */
  public static class AbandoningImpl implements Abandoning {
    @Override
    public String run(TaskInput input) {
      Sleeper child =
          Workflow.newChildWorkflowStub(
              Sleeper.class,
              ChildWorkflowOptions.newBuilder()
                  .setWorkflowId(Workflow.getInfo().getWorkflowId() + "-child")
                  .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                  .build());
      Async.function(child::sleep, input);
      Workflow.getWorkflowExecution(child).get();
      return "left a child";
    }
  }

  @WorkflowInterface
  public interface Sleeper {
    @WorkflowMethod(name = "team.sleeper")
    String sleep(TaskInput input);
  }

  public static class SleeperImpl implements Sleeper {
    @Override
    public String sleep(TaskInput input) {
      Workflow.sleep(Duration.ofHours(1));
      return "woke";
    }
  }

  public static class ForeverType implements GatehouseWorkflow {
    @Override
    public String name() {
      return "team.forever";
    }

    @Override
    public Class<?> implementation() {
      return ForeverImpl.class;
    }
  }

  public static class AbandoningType implements GatehouseWorkflow {
    @Override
    public String name() {
      return "team.abandoning";
    }

    @Override
    public Class<?> implementation() {
      return AbandoningImpl.class;
    }

    @Override
    public void validate(JsonNode input) {
      if (input.has("deep")) {
        recurse(0);
      }
    }

    private static int recurse(int n) {
      return recurse(n + 1) + 1;
    }
  }

  /** The sleeper is registered as a team type too, so the worker runs it as the child. */
  public static class SleeperType implements GatehouseWorkflow {
    @Override
    public String name() {
      return "team.sleeper";
    }

    @Override
    public Class<?> implementation() {
      return SleeperImpl.class;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    Path jar = dir.resolve("team.jar");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file)) {
      out.putNextEntry(new JarEntry("META-INF/services/" + GatehouseWorkflow.class.getName()));
      out.write((ForeverType.class.getName() + "\n" + AbandoningType.class.getName() + "\n" + SleeperType.class.getName() + "\n")
          .getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    gh =
        TestGatehouse.start(
            c -> {
              c.getWorkflows().getJars().add(jar.toString());
              c.getTasks().setSweepInterval(io.dropwizard.util.Duration.milliseconds(500));
            });
  }

  @AfterAll
  static void stop() throws IOException {
    gh.close();
  }

  private static WorkflowExecutionStatus engineStatus(String workflowId) {
    WorkflowClient client = gh.application().temporal().client();
    return client.newUntypedWorkflowStub(workflowId).describe().getStatus();
  }

  @Test
  void aWorkflowThatContinuesAsNewStillEndsAtTheTasksTimeout() {
    String id = gh.submit(KEY_A, "{\"workflow\":\"team.forever\",\"timeout\":\"2s\"}");

    JsonNode task = gh.await(KEY_A, id);

    assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("TIMED_OUT");
    assertThat(task.path("error").path("code").asText()).isEqualTo("timed_out");
    // Timed out by the engine (a Temporal server times out the whole execution), or terminated
    // past its deadline by the sweep (dev mode's engine starts the timeout again with each run).
    assertThat(engineStatus(id))
        .isIn(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  }

  @Test
  void aChildTheWorkflowMeantToAbandonEndsWithItsTask() throws Exception {
    String id = gh.submit(KEY_A, "{\"workflow\":\"team.abandoning\"}");

    JsonNode task = gh.await(KEY_A, id);
    assertThat(task.get("status").asText()).as(task.toString()).isEqualTo("COMPLETED");

    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    WorkflowExecutionStatus child = engineStatus(id + "-child");
    while (child == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      assertThat(System.nanoTime()).as("the abandoned child is still running").isLessThan(deadline);
      Thread.sleep(100);
      child = engineStatus(id + "-child");
    }
    // Canceled by the task's end (dev mode's engine), or terminated by its parent close policy (a Temporal server).
    assertThat(child).isIn(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  }

  @Test
  void aValidateThatOverflowsItsStackIsA400() {
    HttpResponse<String> r = gh.post("/v1/tasks", KEY_A, "{\"workflow\":\"team.abandoning\",\"input\":{\"deep\":true}}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(json(r).path("error").path("code").asText()).isEqualTo("invalid_request");
    assertThat(r.body()).contains("cannot take this input").doesNotContain("StackOverflow");
  }
}
