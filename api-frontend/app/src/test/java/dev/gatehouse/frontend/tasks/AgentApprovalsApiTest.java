package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.McpWire;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.workflows.approval.Approvals;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Approvals of an agent task's tool calls on a real Gatehouse: a tool registered with {@code
 * approval: required}, the task waiting ({@code WAITING_APPROVAL}), an operator's decision through
 * the admin API bound to the call's arguments, and the refusals that change nothing. The model is
 * a FAKE provider on loopback.
 */
class AgentApprovalsApiTest {
  static TestGatehouse gh;
  static FakeProvider fake;
  static String otherTenantAdmin;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
    fake = new FakeProvider();
    gh.fakeModel("ap-model", fake.openaiBase());
    created(gh.post("/admin/v1/tools", ADMIN_KEY,
        "{\"name\":\"t.danger\",\"approval\":\"required\",\"http\":{\"method\":\"POST\",\"url\":\"" + gh.tools.base() + "/echo\"}}"));
    String other = json(created(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"ap-other\"}"))).get("id").asText();
    otherTenantAdmin = json(created(gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"ops\",\"tenant\":\"" + other + "\"}")))
        .get("key").asText();
  }

  @AfterAll
  static void stop() {
    gh.close();
    fake.close();
  }

  private static HttpResponse<String> created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return r;
  }

  private static JsonNode waitingTask(String id) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      JsonNode task = json(gh.get("/v1/tasks/" + id, KEY_A));
      if (task.get("status").asText().equals("WAITING_APPROVAL")) {
        return task;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("task " + id + " never waited for approval: " + gh.get("/v1/tasks/" + id, KEY_A).body());
  }

  private static HttpResponse<String> decide(String key, String id, String callId, String body) {
    return gh.post("/admin/v1/tasks/" + id + "/approvals/" + callId, key, body);
  }

  private static String code(HttpResponse<String> r) {
    return json(r).get("error").get("code").asText();
  }

  /** The task's approval audit rows, after every row recorded so far is written (the log batches them). */
  private static List<Map<String, Object>> auditOf(String taskId) throws InterruptedException {
    gh.application().audit().flush();
    return gh.db.jdbi().withHandle(h ->
        h.createQuery("SELECT action, target, decision, outcome, actor FROM audit_log WHERE task_id = :t AND action LIKE 'task.approval.%' ORDER BY id")
            .bind("t", taskId).mapToMap().list());
  }

  @Test
  void whereNoOperatorCanBeAskedAToolThatNeedsApprovalIsRefusedAndNothingIsCalled() throws Exception {
    long before = gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count();

    HttpResponse<String> pipeline =
        gh.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"d\",\"tool\":\"t.danger\",\"args\":{\"id\":1}}]}}");
    assertThat(pipeline.statusCode()).as(pipeline.body()).isEqualTo(403);
    assertThat(code(pipeline)).isEqualTo("approval_required");
    assertThat(json(pipeline).at("/error/message").asText()).contains("step 'd'", "t.danger");

    String endpoint = gh.api() + "/mcp";
    String session = McpWire.initialize(endpoint, KEY_A);
    JsonNode answer =
        McpWire.message(
            McpWire.post(endpoint, KEY_A, session,
                "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"t.danger\",\"arguments\":{\"id\":1}}}").body());
    assertThat(answer.has("result")).as(answer.toString()).isFalse();
    assertThat(answer.at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(answer.at("/error/data/code").asText()).isEqualTo("approval_required");

    assertThat(gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count()).as("nothing was called").isEqualTo(before);
  }

  @Test
  void aCallWaitsForAnOperatorWhoseDecisionIsBoundToItsArguments() throws Exception {
    int before = (int) gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count();
    fake.enqueue(Reply.toolCall("c1", "t_danger", "{\"id\":7}"), Reply.text("Done."));
    String id = gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ap-model\",\"goal\":\"clean up\",\"tools\":[\"t.danger\"]}}");

    JsonNode waiting = waitingTask(id);
    JsonNode call = waiting.get("approvals").get(0);
    assertThat(call.get("callId").asText()).isEqualTo("tool-1.1");
    assertThat(call.get("tool").asText()).isEqualTo("t.danger");
    assertThat(call.get("status").asText()).isEqualTo("pending");
    assertThat(call.get("preview").asText()).isEqualTo("{\"id\":7}");
    String hash = call.get("argumentsSha256").asText();
    assertThat(hash).isEqualTo(Approvals.sha256(TestGatehouse.JSON.readTree("{\"id\":7}")));
    // The workflow shows the call as waiting, then records the request from an activity: wait for
    // that row so the rows below are ordered as the decisions were made.
    for (int i = 0; i < 200 && auditOf(id).isEmpty(); i++) {
      Thread.sleep(50);
    }
    assertThat(json(gh.get("/admin/v1/tasks/" + id + "/approvals", ADMIN_KEY)).get("approvals").get(0).get("callId").asText())
        .isEqualTo("tool-1.1");

    // Refused, and nothing changes: another tenant's operator, other arguments, no such call, a bad body.
    HttpResponse<String> foreign = decide(otherTenantAdmin, id, "tool-1.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(foreign.statusCode()).isEqualTo(404);
    assertThat(code(foreign)).isEqualTo("task_not_found");
    HttpResponse<String> mismatch = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + "a".repeat(64) + "\"}");
    assertThat(mismatch.statusCode()).as(mismatch.body()).isEqualTo(409);
    assertThat(code(mismatch)).isEqualTo("approval_mismatch");
    HttpResponse<String> none = decide(ADMIN_KEY, id, "tool-2.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(code(none)).isEqualTo("approval_not_found");
    HttpResponse<String> bad = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"yes\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(bad.statusCode()).isEqualTo(400);
    HttpResponse<String> notJson = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(code(notJson)).isEqualTo("invalid_json");
    HttpResponse<String> badCallId = decide(ADMIN_KEY, id, "tool%20one", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(badCallId.statusCode()).isEqualTo(404);
    assertThat(code(badCallId)).isEqualTo("approval_not_found");
    HttpResponse<String> agent = decide(KEY_A, id, "tool-1.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(agent.statusCode()).isIn(401, 403);
    assertThat(json(gh.get("/v1/tasks/" + id, KEY_A)).get("status").asText()).isEqualTo("WAITING_APPROVAL");
    assertThat(gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count()).isEqualTo(before);
    // The trace of the waiting task shows the call waiting.
    HttpResponse<String> trace = gh.get("/v1/tasks/" + id + "/trace", KEY_A);
    assertThat(trace.statusCode()).as(trace.body()).isEqualTo(200);
    assertThat(json(trace).get("status").asText()).isEqualTo("WAITING_APPROVAL");
    assertThat(json(trace).get("steps").findValuesAsText("status")).contains("WAITING_APPROVAL");

    HttpResponse<String> approved =
        decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\",\"reason\":\"ticket OPS-1\"}");
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
    assertThat(json(approved).get("status").asText()).isEqualTo("approved");
    assertThat(json(approved).get("decidedBy").asText()).isNotBlank();

    JsonNode done = gh.await(id);
    assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    assertThat(done.get("result").get("content").asText()).isEqualTo("Done.");
    assertThat(gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count()).isEqualTo(before + 1);
    JsonNode ran = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps").get(1);
    assertThat(ran.get("id").asText()).isEqualTo("tool-1.1");
    assertThat(ran.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(ran.get("approval").get("status").asText()).isEqualTo("approved");
    assertThat(ran.get("approval").get("reason").asText()).isEqualTo("ticket OPS-1");

    HttpResponse<String> twice = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"deny\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(twice.statusCode()).isEqualTo(409);
    assertThat(code(twice)).isEqualTo("task_closed");

    // Every decision of an admin who sees the task is a row, refusals of its body included (they
    // were not: a bad body, a malformed call id, a task the index had closed left no trace).
    assertThat(auditOf(id))
        .extracting(r -> r.get("action") + " " + r.get("target") + " " + r.get("decision") + " " + r.get("outcome"))
        .containsExactly(
            "task.approval.request tool-1.1 ask pending",
            "task.approval.approve tool-1.1 deny approval_mismatch",
            "task.approval.approve tool-2.1 deny approval_not_found",
            "task.approval.decide tool-1.1 deny invalid_request",
            "task.approval.decide tool-1.1 deny invalid_json",
            "task.approval.approve null deny approval_not_found",
            "task.approval.approve tool-1.1 allow ok",
            "task.approval.deny tool-1.1 deny task_closed");
  }

  /**
   * An operator sees the whole arguments before deciding, and a preview whose characters all show:
   * a probe's model put what it wanted run past the preview's 1 KiB, and wrote a file name with a
   * right-to-left override the console showed reversed.
   */
  @Test
  void anOperatorReadsAHeldCallsWholeArgumentsAndAPreviewWithNothingHidden() throws Exception {
    String args = "{\"title\":\"reset j.smith \\u202egnp.exe\",\"summary\":\"" + "routine ".repeat(200) + "\",\"source\":\"ATTACKER\"}";
    fake.enqueue(Reply.toolCall("c1", "t_danger", args), Reply.text("Done."));
    String id = gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ap-model\",\"goal\":\"x\",\"tools\":[\"t.danger\"]}}");
    JsonNode call = waitingTask(id).get("approvals").get(0);
    String preview = call.get("preview").asText();
    assertThat(preview).contains("j.smith \\u202Egnp.exe").doesNotContain("\u202e").doesNotContain("ATTACKER").endsWith("…");

    HttpResponse<String> whole = gh.get("/admin/v1/tasks/" + id + "/approvals/tool-1.1", ADMIN_KEY);
    assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
    JsonNode read = json(whole);
    assertThat(read.get("callId").asText()).isEqualTo("tool-1.1");
    assertThat(read.get("status").asText()).isEqualTo("pending");
    assertThat(read.get("arguments").get("source").asText()).isEqualTo("ATTACKER");
    assertThat(read.get("arguments").get("title").asText()).isEqualTo("reset j.smith \u202egnp.exe");
    assertThat(Approvals.sha256(read.get("arguments"))).isEqualTo(read.get("argumentsSha256").asText());

    assertThat(code(gh.get("/admin/v1/tasks/" + id + "/approvals/tool-1.1", otherTenantAdmin))).isEqualTo("task_not_found");
    assertThat(code(gh.get("/admin/v1/tasks/" + id + "/approvals/tool-9.9", ADMIN_KEY))).isEqualTo("approval_not_found");
    assertThat(gh.get("/admin/v1/tasks/" + id + "/approvals/tool-1.1", KEY_A).statusCode()).isIn(401, 403);

    HttpResponse<String> denied = decide(ADMIN_KEY, id, "tool-1.1",
        "{\"decision\":\"deny\",\"argumentsSha256\":\"" + read.get("argumentsSha256").asText() + "\"}");
    assertThat(denied.statusCode()).as(denied.body()).isEqualTo(200);
    assertThat(json(denied).get("preview").asText()).isEqualTo(preview);
    assertThat(gh.await(id).get("status").asText()).isEqualTo("COMPLETED");
  }

  /** Puts agent-a back as {@code agentA} shows it (its permissions; no approval rules). */
  private static void restore(JsonNode agentA) {
    String body =
        "{\"name\":\"agent-a\",\"tools\":" + agentA.get("tools") + ",\"models\":" + agentA.get("models")
            + ",\"workflows\":" + agentA.get("workflows") + "}";
    assertThat(gh.put("/admin/v1/agents/" + agentA.get("id").asText(), ADMIN_KEY, body).statusCode()).isEqualTo(200);
  }

  /** agent-a as the admin API shows it. */
  private static JsonNode agentA() {
    String tenant = json(gh.get("/admin/v1/tenants?limit=200", ADMIN_KEY)).get("items").findValuesAsText("id").stream()
        .filter(t -> json(gh.get("/admin/v1/agents?tenant=" + t + "&limit=200", ADMIN_KEY)).toString().contains("\"agent-a\""))
        .findFirst().orElseThrow();
    for (JsonNode a : json(gh.get("/admin/v1/agents?tenant=" + tenant + "&limit=200", ADMIN_KEY)).get("items")) {
      if (a.get("name").asText().equals("agent-a")) {
        return a;
      }
    }
    throw new AssertionError("no agent-a");
  }

  /**
   * A call whose tool the agent may no longer use (its permission withdrawn while the call waited)
   * is listed as not approvable, and approving it is refused, audited, and changes nothing; a
   * probe's operator approved such a call, was answered 200, and the call did not run.
   */
  @Test
  void aCallWhosePermissionWasWithdrawnWhileItWaitedCannotBeApproved() throws Exception {
    int before = (int) gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count();
    fake.enqueue(Reply.toolCall("c1", "t_danger", "{\"id\":9}"), Reply.text("Left it."));
    String id = gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ap-model\",\"goal\":\"clean up\",\"tools\":[\"t.danger\"]}}");
    String hash = waitingTask(id).get("approvals").get(0).get("argumentsSha256").asText();
    JsonNode listed = json(gh.get("/admin/v1/tasks/" + id + "/approvals", ADMIN_KEY)).get("approvals").get(0);
    assertThat(listed.get("approvable").asBoolean()).as(listed.toString()).isTrue();
    assertThat(listed.has("refusal")).isFalse();

    JsonNode agentA = agentA();
    String withdrawn =
        "{\"name\":\"agent-a\",\"tools\":{\"allow\":" + agentA.at("/tools/allow") + ",\"deny\":[\"t.danger\"]},\"models\":"
            + agentA.get("models") + ",\"workflows\":" + agentA.get("workflows") + "}";
    HttpResponse<String> put = gh.put("/admin/v1/agents/" + agentA.get("id").asText(), ADMIN_KEY, withdrawn);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    try {
      listed = json(gh.get("/admin/v1/tasks/" + id + "/approvals", ADMIN_KEY)).get("approvals").get(0);
      assertThat(listed.get("status").asText()).isEqualTo("pending");
      assertThat(listed.get("approvable").asBoolean()).as(listed.toString()).isFalse();
      assertThat(listed.at("/refusal/code").asText()).isEqualTo("tool_not_allowed");
      assertThat(listed.at("/refusal/message").asText()).contains("t.danger");
      JsonNode one = json(gh.get("/admin/v1/tasks/" + id + "/approvals/tool-1.1", ADMIN_KEY));
      assertThat(one.get("approvable").asBoolean()).as(one.toString()).isFalse();
      assertThat(one.get("arguments").get("id").asInt()).isEqualTo(9);

      HttpResponse<String> approve = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
      assertThat(approve.statusCode()).as(approve.body()).isEqualTo(403);
      assertThat(code(approve)).isEqualTo("tool_not_allowed");
      assertThat(json(approve).at("/error/message").asText()).contains("tool-1.1", "t.danger", "deny it");
      assertThat(json(gh.get("/v1/tasks/" + id, KEY_A)).get("status").asText()).isEqualTo("WAITING_APPROVAL");

      HttpResponse<String> deny = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"deny\",\"argumentsSha256\":\"" + hash + "\"}");
      assertThat(deny.statusCode()).as(deny.body()).isEqualTo(200);
      assertThat(json(deny).get("status").asText()).isEqualTo("denied");
      assertThat(gh.await(id).get("result").get("content").asText()).isEqualTo("Left it.");
      // The same decision sent again once the task has ended (its answer lost on the way) is that
      // decision, as while the task ran; any other is too late.
      HttpResponse<String> again = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"deny\",\"argumentsSha256\":\"" + hash + "\"}");
      assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
      assertThat(json(again).get("status").asText()).isEqualTo("denied");
      HttpResponse<String> other =
          decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"deny\",\"argumentsSha256\":\"" + hash + "\",\"reason\":\"changed my mind\"}");
      assertThat(other.statusCode()).as(other.body()).isEqualTo(409);
      assertThat(code(other)).isEqualTo("task_closed");
      listed = json(gh.get("/admin/v1/tasks/" + id + "/approvals", ADMIN_KEY)).get("approvals").get(0);
      assertThat(listed.has("approvable")).as("a decided call is neither").isFalse();
      assertThat(listed.has("refusal")).isFalse();
    } finally {
      restore(agentA);
    }
    assertThat(gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count()).as("nothing was called").isEqualTo(before);
    assertThat(auditOf(id))
        .extracting(r -> r.get("action") + " " + r.get("target") + " " + r.get("decision") + " " + r.get("outcome"))
        .containsExactly(
            "task.approval.request tool-1.1 ask pending",
            "task.approval.approve tool-1.1 deny tool_not_allowed",
            "task.approval.deny tool-1.1 allow ok",
            "task.approval.deny tool-1.1 allow ok",
            "task.approval.deny tool-1.1 deny task_closed");
  }

  /**
   * A call whose tool was taken out of the registry while it waited is not approvable either: a
   * probe's operator approved one (200) and its step then failed {@code unknown_tool}.
   */
  @Test
  void aCallWhoseToolWasDeletedWhileItWaitedCannotBeApproved() throws Exception {
    created(gh.post("/admin/v1/tools", ADMIN_KEY,
        "{\"name\":\"t.gone\",\"approval\":\"required\",\"http\":{\"method\":\"POST\",\"url\":\"" + gh.tools.base() + "/echo\"}}"));
    fake.enqueue(Reply.toolCall("c1", "t_gone", "{\"id\":10}"), Reply.text("Gone, then."));
    String id = gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ap-model\",\"goal\":\"clean up\",\"tools\":[\"t.gone\"]}}");
    String hash = waitingTask(id).get("approvals").get(0).get("argumentsSha256").asText();
    assertThat(gh.delete("/admin/v1/tools/t.gone", ADMIN_KEY).statusCode()).isEqualTo(204);

    JsonNode listed = null;
    for (int i = 0; i < 200; i++) { // the tool catalog is cached for a few seconds, as the step reads it
      listed = json(gh.get("/admin/v1/tasks/" + id + "/approvals", ADMIN_KEY)).get("approvals").get(0);
      if (!listed.get("approvable").asBoolean()) {
        break;
      }
      Thread.sleep(100);
    }
    assertThat(listed.get("approvable").asBoolean()).as(listed.toString()).isFalse();
    assertThat(listed.at("/refusal/code").asText()).isEqualTo("unknown_tool");
    HttpResponse<String> approve = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(approve.statusCode()).as(approve.body()).isEqualTo(422);
    assertThat(code(approve)).isEqualTo("unknown_tool");
    assertThat(json(approve).at("/error/message").asText()).contains("t.gone", "deny it");
    HttpResponse<String> deny = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"deny\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(deny.statusCode()).as(deny.body()).isEqualTo(200);
    assertThat(gh.await(id).get("result").get("content").asText()).isEqualTo("Gone, then.");
  }

  @Test
  void anAgentsOwnApprovalRuleHoldsAToolTheRegistryDoesNot() throws Exception {
    JsonNode agentA = agentA();
    String body =
        "{\"name\":\"agent-a\",\"tools\":" + agentA.get("tools") + ",\"models\":" + agentA.get("models")
            + ",\"workflows\":" + agentA.get("workflows") + ",\"approvals\":{\"tools\":[\"t.add\"]}}";
    HttpResponse<String> put = gh.put("/admin/v1/agents/" + agentA.get("id").asText(), ADMIN_KEY, body);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    assertThat(json(put).get("approvals").get("tools").get(0).asText()).isEqualTo("t.add");
    try {
      // Where nobody can be asked, the rule refuses the call as the registry's flag does (an audit
      // found a pipeline ran the tool the rule holds, no approval asked).
      long adds = gh.tools.requests.stream().filter(r -> r.startsWith("GET /add")).count();
      HttpResponse<String> pipeline =
          gh.post("/v1/tasks", KEY_A, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"s\",\"tool\":\"t.add\",\"args\":{\"a\":1,\"b\":2}}]}}");
      assertThat(pipeline.statusCode()).as(pipeline.body()).isEqualTo(403);
      assertThat(code(pipeline)).isEqualTo("approval_required");
      assertThat(json(pipeline).at("/error/message").asText()).contains("step 's'", "t.add", "the agent's approval rules");
      String endpoint = gh.api() + "/mcp";
      JsonNode answer =
          McpWire.message(
              McpWire.post(endpoint, KEY_A, McpWire.initialize(endpoint, KEY_A),
                  "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"t.add\",\"arguments\":{\"a\":1,\"b\":2}}}").body());
      assertThat(answer.at("/error/data/code").asText()).as(answer.toString()).isEqualTo("approval_required");
      assertThat(gh.tools.requests.stream().filter(r -> r.startsWith("GET /add")).count()).as("nothing was called").isEqualTo(adds);

      fake.enqueue(Reply.toolCall("c1", "t_add", "{\"a\":1,\"b\":2}"), Reply.text("Added."));
      String id = gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ap-model\",\"goal\":\"add\",\"tools\":[\"t.add\"]}}");
      JsonNode call = waitingTask(id).get("approvals").get(0);
      assertThat(call.get("tool").asText()).isEqualTo("t.add");
      assertThat(decide(ADMIN_KEY, id, "tool-1.1",
          "{\"decision\":\"approve\",\"argumentsSha256\":\"" + call.get("argumentsSha256").asText() + "\"}").statusCode()).isEqualTo(200);
      assertThat(gh.await(id).get("result").get("content").asText()).isEqualTo("Added.");
    } finally {
      restore(agentA);
    }
  }

  @Test
  void aDeniedCallIsNotRunAndTheModelReadsTheReason() throws Exception {
    int before = (int) gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count();
    fake.enqueue(Reply.toolCall("c1", "t_danger", "{\"id\":8}"), Reply.text("Understood."));
    String id = gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ap-model\",\"goal\":\"clean up\",\"tools\":[\"t.danger\"]}}");
    String hash = waitingTask(id).get("approvals").get(0).get("argumentsSha256").asText();

    // A reason with a right-to-left override (it made "not today" show reversed): shown escaped.
    HttpResponse<String> denied =
        decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"deny\",\"argumentsSha256\":\"" + hash + "\",\"reason\":\"not\\u202Etoday\"}");
    assertThat(denied.statusCode()).as(denied.body()).isEqualTo(200);
    HttpResponse<String> again = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(again.statusCode()).isIn(409);
    assertThat(code(again)).isIn("approval_decided", "task_closed");

    JsonNode done = gh.await(id);
    assertThat(done.get("result").get("stopReason").asText()).isEqualTo("completed");
    // The task's events show the request and the decision, read off its history.
    List<TaskEventsTest.Sse> events;
    try (TaskEventsTest.Stream s = TaskEventsTest.open(gh, KEY_A, id, null)) {
      events = s.rest();
    }
    List<TaskEventsTest.Sse> approvals = events.stream().filter(e -> e.name().startsWith("approval.")).toList();
    assertThat(approvals).extracting(TaskEventsTest.Sse::name).containsExactly("approval.requested", "approval.decided");
    assertThat(approvals.get(0).data().get("calls").get(0).get("status").asText()).isEqualTo("pending");
    JsonNode decided = approvals.get(1).data().get("calls").get(0);
    assertThat(decided.get("status").asText()).isEqualTo("denied");
    assertThat(decided.get("reason").asText()).isEqualTo("not\\u202Etoday");
    // The trace shows the denied call as a step that did not run, with the decision.
    JsonNode steps = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps");
    JsonNode notRun = null;
    for (JsonNode s : steps) {
      if (s.get("id").asText().equals("tool-1.1")) {
        notRun = s;
      }
    }
    assertThat(notRun).as(steps.toString()).isNotNull();
    assertThat(notRun.get("status").asText()).isEqualTo("NOT_RUN");
    assertThat(notRun.get("error").get("code").asText()).isEqualTo("approval_denied");
    assertThat(notRun.get("approval").get("decidedBy").asText()).isNotBlank();
    assertThat(gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count()).isEqualTo(before);
    JsonNode toolMessage = fake.requests("/v1/chat/completions").get(fake.requests("/v1/chat/completions").size() - 1).json().get("messages").get(2);
    assertThat(toolMessage.get("content").asText()).contains("approval_denied").contains("u202Etoday").doesNotContain("\u202E");
  }

  /**
   * A cancel or a decision that lands while the task's workflow task completes makes the engine
   * refuse the completion (UnhandledCommand) and the worker run it again: the SDK's WARN with a
   * stack trace for it is not written (the application installed TemporalRaceLogs); its other
   * failures are.
   */
  @Test
  void theEnginesRaceWithACancelIsNotLoggedAsAFault() {
    String worker = "io.temporal.internal.worker.WorkflowWorker";
    try (dev.gatehouse.frontend.testing.CapturedLogs logs = dev.gatehouse.frontend.testing.CapturedLogs.of(worker, ch.qos.logback.classic.Level.INFO)) {
      org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(worker);
      log.warn("Failure while reporting workflow progress to the server. WorkflowId={}, RunId={}, startedEventId={}", "t", "r", 1,
          io.grpc.Status.INVALID_ARGUMENT.withDescription("UnhandledCommand").asRuntimeException());
      log.warn("Failure while reporting workflow progress to the server. WorkflowId={}, RunId={}, startedEventId={}", "t", "r", 2,
          io.grpc.Status.NOT_FOUND.asRuntimeException());
      assertThat(logs.messages()).singleElement().asString().contains("startedEventId=2");
    }
  }

  /** A probe's task timed out while its call waited, and the approvals listing still said pending. */
  /**
   * A task the engine let go (dev mode restarted while it waited, or its retention passed): its
   * calls are asked of its workflow, which no longer answers, so a call is 409 task_closed, not
   * "never held" (a probe's restart found 404 approval_not_found for a call that had been held).
   */
  @Test
  void aCallOfATaskTheEngineNoLongerHasIsTaskClosed() throws Exception {
    var index = gh.db.jdbi().onDemand(dev.gatehouse.registry.tasks.TaskIndexDao.class);
    String agent = gh.agentId("agent-a");
    String tenant = json(gh.get("/admin/v1/agents/" + agent, ADMIN_KEY)).path("tenant").asText();
    String id = "task_" + "0".repeat(31) + "9";
    assertThat(index.insert(id, tenant, agent, "agent", null, "h")).isTrue();
    var running = gh.get("/admin/v1/tasks/" + id + "/approvals/tool-1.1", ADMIN_KEY);
    assertThat(running.statusCode()).as("a running task's unknown call: " + running.body()).isEqualTo(404);
    assertThat(code(running)).isEqualTo("approval_not_found");
    assertThat(index.close(id, "FAILED", "engine_reset", "dev mode keeps workflows in memory and Gatehouse was restarted while this task ran")).isTrue();

    var gone = gh.get("/admin/v1/tasks/" + id + "/approvals/tool-1.1", ADMIN_KEY);

    assertThat(gone.statusCode()).as(gone.body()).isEqualTo(409);
    assertThat(code(gone)).isEqualTo("task_closed");
  }

  @Test
  void aTaskThatTimesOutWhileItsCallWaitsListsTheCallAsCanceled() throws Exception {
    // A provider of its own: the shared one's replies are taken by other tests' tasks still running.
    try (FakeProvider own = new FakeProvider()) {
      gh.fakeModel("ap-timeout", own.openaiBase());
      own.enqueue(Reply.toolCall("c1", "t_danger", "{\"id\":10}"), Reply.text("Never read."));
      String id = gh.submit("{\"workflow\":\"agent\",\"timeout\":\"8s\",\"input\":{\"model\":\"ap-timeout\",\"goal\":\"clean up\",\"tools\":[\"t.danger\"]}}");
      JsonNode waiting = waitingTask(id);
      assertThat(waiting.get("approvals").get(0).get("status").asText()).isEqualTo("pending");
      // The default wait is a day; the call cannot wait past its task's 8 s, and says so.
      java.time.Instant expires = java.time.Instant.parse(waiting.get("approvals").get(0).get("expiresAt").asText());
      assertThat(expires).isBefore(java.time.Instant.parse(waiting.get("createdAt").asText()).plusSeconds(9));
      JsonNode adminListed = json(gh.get("/admin/v1/tasks/" + id + "/approvals", ADMIN_KEY)).get("approvals");
      assertThat(adminListed.get(0).get("expiresAt").asText()).isEqualTo(waiting.get("approvals").get(0).get("expiresAt").asText());
      assertThat(gh.await(id).get("status").asText()).isEqualTo("TIMED_OUT");
      // So do the task's events and its trace, read off its history (a probe found them a day ahead).
      java.time.Instant limit = java.time.Instant.parse(waiting.get("createdAt").asText()).plusSeconds(9);
      List<TaskEventsTest.Sse> events;
      try (TaskEventsTest.Stream s = TaskEventsTest.open(gh, KEY_A, id, null)) {
        events = s.rest();
      }
      JsonNode requested = events.stream().filter(e -> e.name().equals("approval.requested")).findFirst().orElseThrow().data();
      assertThat(java.time.Instant.parse(requested.get("calls").get(0).get("expiresAt").asText())).as(requested.toString()).isBefore(limit);
      List<JsonNode> traced = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).findValues("expiresAt");
      assertThat(traced).isNotEmpty();
      assertThat(traced).allSatisfy(t -> assertThat(java.time.Instant.parse(t.asText())).isBefore(limit));
      JsonNode listed = json(gh.get("/admin/v1/tasks/" + id + "/approvals", ADMIN_KEY)).get("approvals");
      assertThat(listed).as(listed.toString()).hasSize(1);
      assertThat(listed.get(0).get("status").asText()).isEqualTo("canceled");
      // No workflow code ran at the timeout to audit the call it left: whoever closed the task's row did.
      for (int i = 0; i < 200 && auditOf(id).size() < 2; i++) {
        Thread.sleep(50);
      }
      List<Map<String, Object>> rows = auditOf(id);
      assertThat(rows)
          .extracting(r -> r.get("action") + " " + r.get("outcome"))
          .containsExactlyInAnyOrder("task.approval.request pending", "task.approval.cancel canceled");
      assertThat(rows).extracting(r -> r.get("target")).as("the same call").containsOnly(listed.get(0).get("callId").asText());
    }
  }

  @Test
  void aTaskCanceledWhileItsCallWaitsRunsNothingAndRefusesTheDecisionThatComesAfter() throws Exception {
    int before = (int) gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count();
    fake.enqueue(Reply.toolCall("c1", "t_danger", "{\"id\":9}"), Reply.text("Never read."));
    String id = gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"ap-model\",\"goal\":\"clean up\",\"tools\":[\"t.danger\"]}}");
    String hash = waitingTask(id).get("approvals").get(0).get("argumentsSha256").asText();

    // The agent cancels, and an operator approves right after: the approval is refused, whether
    // the workflow has seen the cancel request or has closed already.
    HttpResponse<String> cancel = gh.post("/v1/tasks/" + id + "/cancel", KEY_A, "");
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
    HttpResponse<String> late = decide(ADMIN_KEY, id, "tool-1.1", "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
    assertThat(late.statusCode()).as(late.body()).isEqualTo(409);
    assertThat(code(late)).isEqualTo("task_closed");

    JsonNode done = gh.await(id);
    assertThat(done.get("status").asText()).isEqualTo("CANCELED");
    JsonNode steps = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A)).get("steps");
    assertThat(steps).as(steps.toString()).hasSize(2);
    assertThat(steps.get(1).get("id").asText()).isEqualTo("tool-1.1");
    assertThat(steps.get(1).get("status").asText()).isEqualTo("NOT_RUN");
    assertThat(steps.get(1).get("error").get("code").asText()).isEqualTo("canceled");
    assertThat(steps.get(1).get("approval").get("status").asText()).isEqualTo("canceled");
    assertThat(gh.tools.requests.stream().filter(r -> r.equals("POST /echo")).count()).isEqualTo(before);
    for (int i = 0; i < 200 && auditOf(id).size() < 3; i++) {
      Thread.sleep(50);
    }
    // The rows the task writes itself are at least once: the engine retries the workflow task that
    // wrote one when a decision arrives while it completes (docs/task-api.md).
    assertThat(auditOf(id))
        .extracting(r -> r.get("action") + " " + r.get("outcome"))
        .containsOnly("task.approval.request pending", "task.approval.cancel canceled", "task.approval.approve task_closed");
  }
}
