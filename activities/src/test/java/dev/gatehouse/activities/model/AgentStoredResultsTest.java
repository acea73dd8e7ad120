package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.task.TaskResults;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.workflows.agent.AgentInput;
import dev.gatehouse.workflows.agent.AgentLimits;
import dev.gatehouse.workflows.agent.AgentResult;
import dev.gatehouse.workflows.agent.AgentTool;
import dev.gatehouse.workflows.agent.AgentTranscript;
import dev.gatehouse.workflows.agent.AgentWorkflow;
import dev.gatehouse.workflows.agent.AgentWorkflowImpl;
import dev.gatehouse.workflows.model.ModelCallPolicy;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.ToolActivities;
import dev.gatehouse.workflows.tool.ToolActivityDefaults;
import dev.gatehouse.workflows.tool.ToolCallPolicy;
import dev.gatehouse.workflows.tool.ToolCallResult;
import io.temporal.activity.Activity;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent loop with the real {@code Model.Call} activity (a fake provider behind it) and a tool
 * whose large result the real {@link TaskResults} stores, on the real PostgreSQL: the result goes
 * to the provider whole, the reference never does, and the history holds only the preview.
 */
class AgentStoredResultsTest {
  private static final String QUEUE = "agent-stored-results";
  private static final Caller CALLER = new Caller("ten_store", "agt_store", List.of());

  private TestDatabase db;
  private TestWorkflowEnvironment env;
  private final List<ObjectNode> sent = new CopyOnWriteArrayList<>();

  /** A report of 9,000 characters whose lines say where they are. */
  static final String REPORT;

  static {
    StringBuilder sb = new StringBuilder();
    for (int line = 1; sb.length() < 9_000; line++) {
      sb.append("row ").append(line).append(" of the report\n");
    }
    sb.setLength(9_000);
    REPORT = sb.toString();
  }

  @BeforeEach
  void start() {
    db = TestDatabase.create();
    TaskResults results = new TaskResults(db.jdbi());
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(ToolActivityDefaults.implementationOptions(Duration.ofSeconds(5)), AgentWorkflowImpl.class);
    ToolActivities report =
        request -> results.keep(request, Activity.getExecutionContext().getInfo().getWorkflowId(), new ToolCallResult(200, JsonNodeFactory.instance.textNode(REPORT)));
    worker.registerActivitiesImplementations(new ModelActivitiesImpl(this::provider, results::resolve), report);
    env.start();
  }

  @AfterEach
  void stop() {
    env.close();
    db.close();
  }

  /** The fake provider: asks for the report, then answers with what it read. */
  private ModelAnswer provider(ModelCall call) {
    sent.add(call.body());
    ObjectNode message = JsonNodeFactory.instance.objectNode().put("role", "assistant");
    JsonNode last = call.body().path("messages").path(call.body().path("messages").size() - 1);
    String finish;
    if ("tool".equals(last.path("role").asText())) {
      message.put("content", "read " + last.path("content").asText().length());
      finish = "stop";
    } else {
      message.putNull("content");
      message.putArray("tool_calls").addObject().put("id", "c1").put("type", "function")
          .putObject("function").put("name", "report").put("arguments", "{}");
      finish = "tool_calls";
    }
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.putArray("choices").addObject().put("index", 0).put("finish_reason", finish).set("message", message);
    return new ModelAnswer(body, new ModelUsage(10, 0, 5, 0, false), BigDecimal.ZERO, "fake", "fake-1", null);
  }

  @Test
  void theProviderReadsTheStoredResultWholeAndTheHistoryKeepsOnlyItsPreview() {
    ToolCallPolicy policy = new ToolCallPolicy(5_000, 1, 10, 1.0, 10);
    AgentInput input =
        new AgentInput(
            "m", List.of(JsonNodeFactory.instance.objectNode().put("role", "user").put("content", "report")),
            List.of(new AgentTool("kb.report", "report", null, null, policy)), new AgentLimits(5, null, null, null, 50), CALLER,
            new ModelCallPolicy(5_000, 1, 10, 1.0, 10), null, null);
    AgentResult r =
        env.getWorkflowClient()
            .newWorkflowStub(AgentWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId("task_stored_1").setTaskQueue(QUEUE).build())
            .run(input);

    assertThat(r.content()).isEqualTo("read 9000");
    assertThat(sent).hasSize(2);
    JsonNode toolMessage = sent.get(1).path("messages").get(2);
    assertThat(toolMessage.path("content").asText()).isEqualTo(REPORT);
    assertThat(sent.get(1).toString()).doesNotContain(AgentTranscript.RESULT_MEMBER);
    // Stored under the task (the workflow id) and the caller's tenant.
    Map<String, Object> row = db.jdbi().withHandle(h -> h.createQuery("SELECT tenant_id, task_id, step_id, chars FROM task_results").mapToMap().one());
    assertThat(row).containsEntry("tenant_id", "ten_store").containsEntry("task_id", "task_stored_1").containsEntry("step_id", "tool-1.1")
        .containsEntry("chars", 9_000);
    String history = env.getWorkflowClient().fetchHistory("task_stored_1").getHistory().toString();
    assertThat(history).contains("row 1 of the report").doesNotContain("row 300 of the report").contains(AgentTranscript.RESULT_MEMBER);
  }
}
