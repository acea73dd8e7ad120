package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.app.cli.ReplayCommandTest;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A team's workflow written against the SPI — the {@code support-triage} example under {@code
 * examples/}, on the test class path and found with {@code ServiceLoader} as a deployment's would
 * be — run as a task on a real Gatehouse: checked at submit against the agent's workflow, tool and
 * model permissions; its calls governed (the demo helpdesk on the API port, a FAKE model provider
 * on loopback); its filing held for an operator's approval bound to the arguments and the policy
 * version; its trace, and its history replayed by {@code gatehouse replay}.
 */
class TeamWorkflowTaskTest {
  static TestGatehouse gh;
  static FakeProvider fake;
  static String triager;
  static String pipelinesOnly;
  static String readOnly;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start(c -> c.setDemoTools(true));
    fake = new FakeProvider();
    gh.fakeModel("triage", fake.openaiBase());
    String demo = gh.api() + "/demo";
    created(gh.post("/admin/v1/tools", ADMIN_KEY,
        "{\"name\":\"helpdesk.get_ticket\",\"http\":{\"method\":\"GET\",\"url\":\"" + demo + "/helpdesk/tickets/{id}\"}}"));
    created(gh.post("/admin/v1/tools", ADMIN_KEY, "{\"name\":\"kb.search\",\"http\":{\"method\":\"GET\",\"url\":\"" + demo + "/kb/search\"}}"));
    created(gh.post("/admin/v1/tools", ADMIN_KEY,
        "{\"name\":\"helpdesk.create_ticket\",\"approval\":\"required\",\"http\":{\"method\":\"POST\",\"url\":\"" + demo + "/helpdesk/tickets\"}}"));
    String tenant = json(created(gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"support\"}"))).get("id").asText();
    triager = key(agent(tenant, "triager", "\"helpdesk.*\",\"kb.*\"", "\"support-triage\""));
    pipelinesOnly = key(agent(tenant, "pipelines", "\"helpdesk.*\",\"kb.*\"", "\"pipeline\""));
    readOnly = key(agent(tenant, "reader", "\"helpdesk.get_ticket\",\"kb.*\"", "\"support-triage\""));
  }

  @AfterAll
  static void stop() {
    gh.close();
    fake.close();
  }

  static HttpResponse<String> created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return r;
  }

  static String agent(String tenant, String name, String tools, String workflows) {
    return json(created(gh.post("/admin/v1/agents", ADMIN_KEY,
            "{\"tenant\":\"" + tenant + "\",\"name\":\"" + name + "\",\"tools\":{\"allow\":[" + tools + "]},"
                + "\"models\":{\"allow\":[\"triage\"]},\"workflows\":{\"allow\":[" + workflows + "]}}")))
        .get("id").asText();
  }

  static String key(String agentId) {
    return json(created(gh.post("/admin/v1/agents/" + agentId + "/keys", ADMIN_KEY, ""))).get("key").asText();
  }

  static String code(HttpResponse<String> r) {
    return json(r).get("error").get("code").asText();
  }

  static JsonNode waiting(String id) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      JsonNode task = json(gh.get("/v1/tasks/" + id, triager));
      if (task.get("status").asText().equals("WAITING_APPROVAL")) {
        return task;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("task " + id + " never waited for approval");
  }

  @Test
  void aTriageRunsItsGovernedStepsWaitsForTheFilingsApprovalAndReplays() throws Exception {
    fake.enqueue(Reply.text("{\"category\": \"billing\", \"priority\": \"high\", \"summary\": \"Charged twice.\"}"));
    String id = gh.submit(triager, "{\"workflow\":\"support-triage\",\"input\":{\"ticketId\":\"T-1001\"}}");

    JsonNode call = waiting(id).get("approvals").get(0);
    assertThat(call.get("callId").asText()).isEqualTo("create-ticket");
    assertThat(call.get("tool").asText()).isEqualTo("helpdesk.create_ticket");
    assertThat(call.get("preview").asText()).contains("\"queue\":\"billing\"");
    String version = call.get("policyVersion").asText();
    assertThat(version).matches("ap1-[0-9a-f]{16}");
    String hash = call.get("argumentsSha256").asText();
    String decide = "/admin/v1/tasks/" + id + "/approvals/create-ticket";

    // A decision under another policy version, or for other arguments, is refused and changes nothing.
    HttpResponse<String> otherPolicy = gh.post(decide, ADMIN_KEY,
        "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\",\"policyVersion\":\"ap1-0000000000000000\"}");
    assertThat(otherPolicy.statusCode()).as(otherPolicy.body()).isEqualTo(409);
    assertThat(code(otherPolicy)).isEqualTo("approval_mismatch");
    HttpResponse<String> otherArgs = gh.post(decide, ADMIN_KEY, "{\"decision\":\"approve\",\"argumentsSha256\":\"" + "b".repeat(64) + "\"}");
    assertThat(code(otherArgs)).isEqualTo("approval_mismatch");
    assertThat(json(gh.get("/v1/tasks/" + id, triager)).get("status").asText()).isEqualTo("WAITING_APPROVAL");

    HttpResponse<String> approved = gh.post(decide, ADMIN_KEY,
        "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\",\"policyVersion\":\"" + version + "\",\"reason\":\"refund queue\"}");
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);

    JsonNode done = gh.await(triager, id);
    assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    JsonNode result = done.get("result");
    assertThat(result.get("status").asText()).isEqualTo("filed");
    assertThat(result.get("filed").asText()).matches("T-\\d{5}");
    assertThat(result.get("category").asText()).isEqualTo("billing");
    assertThat(result.get("classifiedBy").asText()).isEqualTo("model");
    // The demo knowledge base found the article on the demo ticket's topic; the model was asked with it.
    assertThat(result.get("articles")).hasSize(1);
    assertThat(result.get("articles").get(0).asText()).matches("kb-\\d{3}");
    assertThat(fake.requests().get(fake.requests().size() - 1).body()).contains(result.get("articles").get(0).asText());

    JsonNode steps = json(gh.get("/v1/tasks/" + id + "/trace", triager)).get("steps");
    assertThat(steps.findValuesAsText("id")).containsSubsequence("read-ticket", "search-kb", "classify", "create-ticket");
    JsonNode filing = null;
    for (JsonNode s : steps) {
      if (s.get("id").asText().equals("create-ticket")) {
        filing = s;
      }
    }
    assertThat(filing.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(filing.get("approval").get("status").asText()).isEqualTo("approved");

    Path history = Files.createTempFile("triage", ".json");
    Files.writeString(history, gh.application().temporal().client().fetchHistory(id).toJson(true));
    ReplayCommandTest.Run replay = ReplayCommandTest.replay("--history", history.toString());
    assertThat(replay.status()).as(replay.out() + replay.err()).isZero();
    assertThat(replay.out()).startsWith("OK").contains("support-triage");
  }

  @Test
  void aSubmissionTheWorkflowOrThePermissionsRefuseStartsNothing() {
    HttpResponse<String> badInput = gh.post("/v1/tasks", triager, "{\"workflow\":\"support-triage\",\"input\":{\"ticketId\":\"no spaces\"}}");
    assertThat(badInput.statusCode()).isEqualTo(400);
    assertThat(code(badInput)).isEqualTo("invalid_request");
    assertThat(json(badInput).get("error").get("message").asText()).contains("ticketId");

    HttpResponse<String> notObject = gh.post("/v1/tasks", triager, "{\"workflow\":\"support-triage\",\"input\":[1]}");
    assertThat(notObject.statusCode()).isEqualTo(400);

    HttpResponse<String> notAllowed = gh.post("/v1/tasks", pipelinesOnly, "{\"workflow\":\"support-triage\",\"input\":{\"ticketId\":\"T-1\"}}");
    assertThat(notAllowed.statusCode()).isEqualTo(403);
    assertThat(code(notAllowed)).isEqualTo("workflow_not_allowed");

    // The workflow files tickets; an agent that may not must not start it.
    HttpResponse<String> toolDenied = gh.post("/v1/tasks", readOnly, "{\"workflow\":\"support-triage\",\"input\":{\"ticketId\":\"T-1\"}}");
    assertThat(toolDenied.statusCode()).as(toolDenied.body()).isEqualTo(403);
    assertThat(code(toolDenied)).isEqualTo("tool_not_allowed");

    assertThat(json(gh.get("/v1/tasks?limit=50", readOnly)).get("tasks")).isEmpty();
  }
}
