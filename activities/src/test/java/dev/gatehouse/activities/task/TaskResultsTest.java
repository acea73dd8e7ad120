package dev.gatehouse.activities.task;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.registry.tasks.StoredText;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.workflows.agent.AgentTranscript;
import dev.gatehouse.workflows.tool.Caller;
import dev.gatehouse.workflows.tool.StoredResult;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolResults;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Storing a large tool result and reading it back into a model request, on the real PostgreSQL:
 * only the task that stored a result reads it, within its tenant; sizes are bounded; the provider
 * never sees Gatehouse's member.
 */
class TaskResultsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Caller ALICE = new Caller("ten_a", "agt_a", List.of());
  static final Caller MALLORY = new Caller("ten_m", "agt_m", List.of());
  static TestDatabase db;
  static TaskResults results;

  @BeforeAll
  static void open() {
    db = TestDatabase.create();
    results = new TaskResults(db.jdbi());
  }

  @AfterAll
  static void close() {
    db.close();
  }

  static String text(int size, char c) {
    return String.valueOf(c).repeat(size);
  }

  static ToolCallRequest request(Caller caller, Integer storeOver) {
    return new ToolCallRequest("tool-1.1", "kb.report", JsonNodeFactory.instance.objectNode(), caller, storeOver);
  }

  static ToolCallResult result(String text) {
    return new ToolCallResult(200, JsonNodeFactory.instance.textNode(text));
  }

  /** A chat request whose transcript ends with tool messages for {@code refs}, as the agent loop makes it. */
  static ObjectNode body(StoredResult... refs) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "m");
    ArrayNode messages = body.putArray("messages");
    messages.addObject().put("role", "user").put("content", "go");
    int n = 0;
    for (StoredResult ref : refs) {
      n++;
      String preview = ref.preview();
      messages.addObject().put("role", "tool").put("tool_call_id", "c" + n).put("content", "kept:" + preview).put(AgentTranscript.RESULT_MEMBER, ref.id());
    }
    return body;
  }

  @Test
  void onlyAResultLongerThanTheRequestAsksIsStored() {
    ToolCallResult small = result(text(100, 's'));
    assertThat(results.keep(request(ALICE, 100), "task_keep", small)).isSameAs(small);
    assertThat(results.keep(request(ALICE, null), "task_keep", result(text(50_000, 'n')))).as("a pipeline's call").extracting(ToolCallResult::stored).isNull();
    assertThat(results.keep(request(new Caller(null, "agt", List.of()), 10), "task_keep", result(text(50, 'x'))).stored()).as("no tenant").isNull();

    ToolCallResult json = new ToolCallResult(200, JsonNodeFactory.instance.objectNode().put("rows", text(5_000, 'j')));
    ToolCallResult kept = results.keep(request(ALICE, AgentTranscript.STORE_RESULTS_OVER), "task_keep", json);
    assertThat(kept.output()).isNull();
    assertThat(kept.status()).isEqualTo(200);
    StoredResult ref = kept.stored();
    assertThat(ref.id()).matches(TaskResults.ID);
    assertThat(ref.chars()).isEqualTo(json.output().toString().length());
    assertThat(ref.preview()).isEqualTo(json.output().toString().substring(0, ToolResults.PREVIEW_CHARS));
    var row = db.jdbi().withHandle(h -> h.createQuery("SELECT tenant_id, task_id, step_id, content FROM task_results WHERE id = :id")
        .bind("id", ref.id()).mapToMap().one());
    assertThat(row).containsEntry("tenant_id", "ten_a").containsEntry("task_id", "task_keep").containsEntry("step_id", "tool-1.1");
    assertThat(StoredText.decode((byte[]) row.get("content"))).as("the JSON as text").isEqualTo(json.output().toString());
  }

  @Test
  void aResultPastTheMostGatehouseStoresIsStoredCutAndSaysSo() {
    String huge = text(ToolResults.MAX_STORED_CHARS + 10, 'h');
    StoredResult ref = results.keep(request(ALICE, 10), "task_huge", result(huge)).stored();
    assertThat(ref.chars()).isEqualTo(huge.length());
    String content = db.jdbi().withHandle(h -> StoredText.decode(
        h.createQuery("SELECT content FROM task_results WHERE id = :id").bind("id", ref.id()).mapTo(byte[].class).one()));
    assertThat(content).startsWith(text(ToolResults.MAX_STORED_CHARS, 'h') + "\n[gatehouse: the result was cut at 262144 of its 262154 characters]");
  }

  @Test
  void theTaskThatStoredAResultReadsItBackAndTheProviderNeverSeesTheReference() {
    String short1 = text(6_000, 'a');
    String long1 = text(40_000, 'b');
    StoredResult a = results.keep(request(ALICE, 4096), "task_read", result(short1)).stored();
    StoredResult b = results.keep(request(ALICE, 4096), "task_read", result(long1)).stored();
    ObjectNode body = body(a, b);
    body.withArray("messages").insertObject(1).put("role", "assistant").put("content", "x").put(AgentTranscript.RESULT_MEMBER, a.id());
    String before = body.toString();

    ObjectNode sent = results.resolve(body, "ten_a", "task_read");

    assertThat(body.toString()).as("the request itself is not changed").isEqualTo(before);
    assertThat(sent.toString()).doesNotContain(AgentTranscript.RESULT_MEMBER);
    JsonNode messages = sent.get("messages");
    assertThat(messages.get(1).get("content").asText()).as("only tool messages are read back").isEqualTo("x");
    assertThat(messages.get(2).get("content").asText()).isEqualTo(short1);
    assertThat(messages.get(3).get("content").asText())
        .isEqualTo(text(AgentTranscript.MAX_RESULT_CHARS, 'b') + "\n[gatehouse: the result was cut at 16384 of its 40000 characters]");
    // A request without references is passed on as it is.
    ObjectNode plain = body();
    assertThat(results.resolve(plain, "ten_a", "task_read")).isSameAs(plain);
  }

  @Test
  void anotherTenantOrTaskCannotReadAResultAndAnUnknownOneIsUnavailable() {
    // The transcript keeps the preview (the first 1 Ki characters); the rest is the task's alone.
    String secret = text(2_000, 'p') + "TAIL-SECRET" + text(6_000, 'z');
    StoredResult ref = results.keep(request(ALICE, 4096), "task_secret", result(secret)).stored();
    // Mallory's task of the same id, another task of Alice's tenant, a made-up id, a malformed one.
    StoredResult madeUp = new StoredResult("res_" + "a".repeat(20), 6_000, "p");
    StoredResult malformed = new StoredResult("res_'; DROP TABLE task_results; --", 6_000, "p");
    for (var read : List.of(
        results.resolve(body(ref), MALLORY.tenantId(), "task_secret"),
        results.resolve(body(ref), "ten_a", "task_other"),
        results.resolve(body(ref), null, "task_secret"),
        results.resolve(body(madeUp, malformed), "ten_a", "task_secret"))) {
      assertThat(read.toString()).doesNotContain("TAIL-SECRET").doesNotContain("zzzz").doesNotContain(AgentTranscript.RESULT_MEMBER);
      for (int i = 1; i < read.get("messages").size(); i++) {
        assertThat(read.get("messages").get(i).get("content").asText())
            .startsWith("[gatehouse: the stored result is unavailable; what the transcript kept of it follows]\nkept:");
      }
    }
    assertThat(results.resolve(body(ref), "ten_a", "task_secret").get("messages").get(1).get("content").asText()).isEqualTo(secret);
  }

  @Test
  void theResultsReadBackAddAtMostTheLimitToARequestTheNewestFirst() {
    int each = AgentTranscript.MAX_RESULT_CHARS; // each is read back whole, at the model's most
    int fit = TaskResults.MAX_EXPANDED_CHARS / (each + 16);
    StoredResult[] refs = new StoredResult[fit + 3];
    for (int i = 0; i < refs.length; i++) {
      refs[i] = results.keep(request(ALICE, 4096), "task_many", result(text(each, (char) ('a' + i % 26)))).stored();
    }
    ObjectNode body = body(refs);
    ObjectNode sent = results.resolve(body, "ten_a", "task_many");

    assertThat(sent.toString().length() - body.toString().length()).isLessThanOrEqualTo(TaskResults.MAX_EXPANDED_CHARS);
    JsonNode messages = sent.get("messages");
    assertThat(messages.get(messages.size() - 1).get("content").asText()).as("the newest").hasSize(each);
    assertThat(messages.get(1).get("content").asText())
        .as("the oldest")
        .startsWith("[gatehouse: the full result was not read back, to keep this request within 524288 characters of stored results;");
  }
}
