package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.app.temporal.EmbeddedTemporal;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.FakeProvider.Reply;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.frontend.testing.WorkerProcess;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An agent task waiting for approval loses nothing when its worker is killed with SIGKILL: not
 * while it waits (a new worker takes the decision from the history), and not while the approved
 * call runs (another worker retries it under the same idempotency key). The engine, the front end
 * and each worker run apart; the model is a FAKE provider on loopback.
 */
class ApprovalCrashTest {

  @Test
  void killingTheWorkerWhileATaskWaitsOrWhileTheApprovedCallRunsLosesNothing() throws Exception {
    try (EmbeddedTemporal engine = EmbeddedTemporal.start("127.0.0.1", 0);
        FakeProvider fake = new FakeProvider()) {
      String target = "127.0.0.1:" + engine.port();
      try (TestGatehouse gh =
          TestGatehouse.start(
              c -> {
                c.getTemporal().setEmbedded(false);
                c.getTemporal().setTarget(target);
                c.getWorker().setEnabled(false);
              })) {
        gh.fakeModel("cr-model", fake.openaiBase());
        assertThat(gh.post("/admin/v1/tools", ADMIN_KEY,
            "{\"name\":\"t.hold-approve\",\"approval\":\"required\",\"timeout\":\"2s\","
                + "\"retry\":{\"maxAttempts\":5,\"initialInterval\":\"100ms\",\"backoff\":1.0},"
                + "\"http\":{\"method\":\"GET\",\"url\":\"" + gh.tools.base() + "/hold/{name}\"}}").statusCode()).isEqualTo(201);
        fake.enqueue(Reply.toolCall("c1", "t_hold-approve", "{\"name\":\"approved-crash\"}"), Reply.text("Held and released."));

        WorkerProcess first = WorkerProcess.start(gh.db, target, "approval-first");
        WorkerProcess second = null;
        WorkerProcess third = null;
        try {
          String id = gh.submit("{\"workflow\":\"agent\",\"input\":{\"model\":\"cr-model\",\"goal\":\"hold it\",\"tools\":[\"t.hold-approve\"]}}");
          JsonNode waiting = null;
          for (int i = 0; i < 300; i++) {
            waiting = json(gh.get("/v1/tasks/" + id, KEY_A));
            if (waiting.get("status").asText().equals("WAITING_APPROVAL")) {
              break;
            }
            Thread.sleep(100);
          }
          assertThat(waiting.get("status").asText()).as("first worker's log:\n%s", first.logText()).isEqualTo("WAITING_APPROVAL");
          String hash = waiting.get("approvals").get(0).get("argumentsSha256").asText();

          // 1. Killed while the task waits: the decision reaches a new worker, which replays the wait.
          first.kill();
          assertThat(first.isAlive()).isFalse();
          // With no worker at all, the task still says what it waits for (its memo, kept by the engine).
          JsonNode workerless = json(gh.get("/v1/tasks/" + id, KEY_A));
          assertThat(workerless.get("status").asText()).isEqualTo("WAITING_APPROVAL");
          assertThat(workerless.get("approvals").get(0).get("argumentsSha256").asText()).isEqualTo(hash);
          // A decision with no worker to take it is refused in bounded time, not held until one comes.
          long before = System.nanoTime();
          HttpResponse<String> workerlessDecision =
              gh.post("/admin/v1/tasks/" + id + "/approvals/tool-1.1", ADMIN_KEY, "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
          long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
          assertThat(waitedMillis).as("the wait is bounded").isLessThan(DurableCalls.DECISION_WAIT.toMillis() + 10_000);
          assertThat(workerlessDecision.statusCode()).as(workerlessDecision.body()).isEqualTo(503);
          assertThat(json(workerlessDecision).get("error").get("code").asText()).isEqualTo("engine_unavailable");
          second = WorkerProcess.start(gh.db, target, "approval-second");
          HttpResponse<String> approved =
              gh.post("/admin/v1/tasks/" + id + "/approvals/tool-1.1", ADMIN_KEY, "{\"decision\":\"approve\",\"argumentsSha256\":\"" + hash + "\"}");
          // The engine handed the held decision to the new worker; sent again, the same decision is
          // that one (its outcome), not a second refused as approval_decided.
          assertThat(approved.statusCode()).as("%s%nsecond worker's log:%n%s", approved.body(), second.logText()).isEqualTo(200);
          assertThat(json(approved).get("status").asText()).isEqualTo("approved");

          // 2. Killed while the approved call runs: another worker retries it.
          assertThat(gh.tools.arrived("approved-crash").await(60, TimeUnit.SECONDS)).as("second worker's log:\n%s", second.logText()).isTrue();
          second.kill();
          gh.tools.release("approved-crash");
          third = WorkerProcess.start(gh.db, target, "approval-third");

          JsonNode task = gh.await(id);
          assertThat(task.get("status").asText()).as("third worker's log:\n%s", third.logText()).isEqualTo("COMPLETED");
          assertThat(task.get("result").get("content").asText()).isEqualTo("Held and released.");
          assertThat(gh.tools.keysByPath.get("/hold/approved-crash")).hasSize(2).allMatch(k -> k.startsWith(id + "/"));
          assertThat(gh.tools.keysByPath.get("/hold/approved-crash").get(0)).isEqualTo(gh.tools.keysByPath.get("/hold/approved-crash").get(1));
          assertThat(fake.requests("/v1/chat/completions")).as("no model call was made twice").hasSize(2);
        } finally {
          first.close();
          if (second != null) {
            second.close();
          }
          if (third != null) {
            third.close();
          }
        }
      }
    }
  }
}
