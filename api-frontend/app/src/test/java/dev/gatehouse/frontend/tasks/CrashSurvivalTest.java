package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.app.temporal.EmbeddedTemporal;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.frontend.testing.WorkerProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The durability promise: the Temporal engine, the front end and the worker run apart; the worker
 * is killed with SIGKILL while a step is in flight; a new worker finishes the task from history.
 */
class CrashSurvivalTest {

  @Test
  void aTaskSurvivesItsWorkerBeingKilledMidStep() throws Exception {
    try (EmbeddedTemporal engine = EmbeddedTemporal.start("127.0.0.1", 0)) {
      String target = "127.0.0.1:" + engine.port();
      try (TestGatehouse gh =
          TestGatehouse.start(
              c -> {
                c.getTemporal().setEmbedded(false);
                c.getTemporal().setTarget(target);
                c.getWorker().setEnabled(false);
              })) {
        WorkerProcess first = WorkerProcess.start(gh.db, target, "crash-first");
        WorkerProcess second = null;
        try {
          String id =
              gh.submit(
                  """
                  {"workflow":"pipeline","input":{"city":"Bergen"},"pipeline":{"steps":[
                    {"id":"before","tool":"t.weather","args":{"city":"${input.city}"}},
                    {"id":"inflight","tool":"t.hold-short","args":{"name":"crash"},"dependsOn":["before"]},
                    {"id":"after","tool":"t.echo","args":{"was":"${steps.inflight.output.released}","temp":"${steps.before.output.tempC}"},"dependsOn":["inflight"]}]}}
                  """);
          assertThat(gh.tools.arrived("crash").await(60, TimeUnit.SECONDS))
              .as("the first worker reached the in-flight step; its log:\n%s", first.logText())
              .isTrue();

          first.kill();
          assertThat(first.isAlive()).isFalse();
          gh.tools.release("crash");
          assertThat(json(gh.get("/v1/tasks/" + id, KEY_A)).get("status").asText()).isEqualTo("RUNNING");

          second = WorkerProcess.start(gh.db, target, "crash-second");
          JsonNode task = gh.await(id);
          assertThat(task.get("status").asText())
              .as("trace: %s%nsecond worker log:%n%s", gh.get("/v1/tasks/" + id + "/trace", KEY_A).body(), second.logText())
              .isEqualTo("COMPLETED");
          assertThat(task.get("result").get("after").get("got").toString())
              .isEqualTo("{\"was\":\"crash\",\"temp\":18}");

          JsonNode trace = json(gh.get("/v1/tasks/" + id + "/trace", KEY_A));
          List<String> steps = new ArrayList<>();
          trace.get("steps").forEach(s -> steps.add(s.get("id").asText() + ":" + s.get("status").asText()));
          assertThat(steps).containsExactly("before:COMPLETED", "inflight:COMPLETED", "after:COMPLETED");
          JsonNode inflight = trace.get("steps").get(1);
          assertThat(inflight.get("attempts").asInt()).isEqualTo(2);
          assertThat(inflight.get("output").get("released").asText()).isEqualTo("crash");

          // The upstream saw the retried side effect under one idempotency key.
          List<String> keys = gh.tools.keysByPath.get("/hold/crash");
          assertThat(keys).hasSize(2);
          assertThat(keys.get(0)).isEqualTo(keys.get(1)).startsWith(id + "/");
          assertThat(gh.tools.keysByPath.get("/weather/Bergen")).hasSize(1);
        } finally {
          first.close();
          if (second != null) {
            second.close();
          }
        }
      }
    }
  }
}
